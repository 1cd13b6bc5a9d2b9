package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// frameFunc sees every frame a stream receives after hello, with the time
// it was read (taken before anything else is done with it). It runs on
// the stream's reader goroutine.
type frameFunc func(at time.Time, frame []byte)

// streams is a set of open event streams (GET /api/v1/ws), each with a
// reader goroutine that keeps reading, so the client answers the server's
// pings and never lets its queue fill.
type streams struct {
	mu    sync.Mutex
	conns []*websocket.Conn
	wg    sync.WaitGroup
	// readErrs counts streams that ended other than by our close.
	readErrs atomic.Int64
	// retries counts dials tried again after a connect or handshake
	// failure.
	retries atomic.Int64
	closing atomic.Bool
}

// openStreams opens n streams, round-robin over the accounts (so every
// account comes online within the first len(accts) streams and the
// presence events of the ramp stay few), conc at a time. onFrame(i) gives
// the frame function of stream i (nil: frames are dropped). Every stream
// has received its hello when openStreams returns.
func openStreams(ctx context.Context, d *daemon, accts []account, n, conc int, onFrame func(i int) frameFunc) (*streams, error) {
	s := &streams{conns: make([]*websocket.Conn, 0, n)}
	dialer := &websocket.Dialer{
		NetDialContext:   loopbackDial,
		TLSClientConfig:  &tls.Config{RootCAs: d.ca, MinVersion: tls.VersionTLS12},
		HandshakeTimeout: 20 * time.Second,
		// Small buffers: the load generator holds thousands of streams.
		ReadBufferSize:  2048,
		WriteBufferSize: 512,
	}
	url := "wss://" + d.addr + "/api/v1/ws"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		errOnce sync.Once
		firstEr error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstEr = err; cancel() })
	}
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				a := accts[i%len(accts)]
				var fn frameFunc
				if onFrame != nil {
					fn = onFrame(i)
				}
				if err := s.dialOne(ctx, dialer, url, a.Token, fn); err != nil {
					fail(fmt.Errorf("stream %d (%s): %w", i, a.Username, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstEr != nil {
		s.close()
		return nil, firstEr
	}
	if err := ctx.Err(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

var helloPrefix = []byte(`{"type":"hello"`)

// dialAttempts bounds the tries of one stream: a daemon busy with a ramp
// of thousands of handshakes may let a connect time out.
const dialAttempts = 4

func (s *streams) dialOne(ctx context.Context, dialer *websocket.Dialer, url, token string, fn frameFunc) error {
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	var ws *websocket.Conn
	for attempt := 1; ; attempt++ {
		var resp *http.Response
		var err error
		ws, resp, err = dialer.DialContext(ctx, url, hdr)
		if err == nil {
			break
		}
		if resp != nil {
			// The daemon answered: a refusal, not a timeout.
			return fmt.Errorf("%w (status %d; over max_event_streams_per_user?)", err, resp.StatusCode)
		}
		if attempt == dialAttempts || ctx.Err() != nil {
			return fmt.Errorf("%w (after %d attempts)", err, attempt)
		}
		s.retries.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, hello, err := ws.ReadMessage()
	if err != nil {
		ws.Close()
		return fmt.Errorf("reading hello: %w", err)
	}
	if !bytes.HasPrefix(hello, helloPrefix) {
		ws.Close()
		return fmt.Errorf("first frame is not hello: %.60s", hello)
	}
	// The server pings every 30 s and drops a stream silent for 60 s; the
	// reader answers pings, so no deadline is needed while it runs.
	_ = ws.SetReadDeadline(time.Time{})
	s.mu.Lock()
	s.conns = append(s.conns, ws)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				if !s.closing.Load() {
					s.readErrs.Add(1)
				}
				return
			}
			if fn != nil {
				fn(time.Now(), b)
			}
		}
	}()
	return nil
}

// close ends every stream with a close frame and waits (bounded) for the
// readers to stop.
func (s *streams) close() {
	s.closing.Store(true)
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, ws := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(2*time.Second))
			_ = ws.Close()
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
}
