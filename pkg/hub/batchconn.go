package hub

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// maxBatchBytes is how much a writer gathers before it writes to the
// socket in the middle of a batch.
const maxBatchBytes = 64 << 10

// batchConn lets the writer gather the frames of a batch into one write.
// gorilla writes each frame as two writes (header, then payload), and over
// TLS each write is a record of its own and a system call, which made the
// socket writes most of a fan-out's cost. Writes outside a batch (pings,
// pongs, the close) go straight through, and any that arrive during a batch
// keep their place in it.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.batching {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// begin gathers the writes that follow, until flush.
func (c *batchConn) begin() {
	c.mu.Lock()
	c.batching = true
	c.mu.Unlock()
}

// buffered returns how many bytes wait for flush.
func (c *batchConn) buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// flush writes what was gathered, under the write deadline last set, and
// ends the batch. The buffer is dropped: idle streams keep none.
func (c *batchConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batching = false
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = nil
	return err
}

// hijacker hands gorilla's upgrader a batchConn around the hijacked
// connection.
type hijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: nc}
	return h.conn, brw, nil
}
