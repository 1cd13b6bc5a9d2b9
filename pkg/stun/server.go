package stun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"
)

// maxDatagram fits any UDP payload, so no request is truncated into a
// different, possibly well-formed one.
const maxDatagram = 64 << 10

// Server answers STUN Binding Requests on the packet connections handed to
// Serve, limiting answers per source IP. Its methods are safe for concurrent
// use, and one Server may serve several connections at once.
type Server struct {
	logger  *slog.Logger
	limiter *limiter

	answered    atomic.Uint64
	dropped     atomic.Uint64
	rateLimited atomic.Uint64
	sendFailed  atomic.Uint64
}

// Stats is a snapshot of a Server's counters since New.
type Stats struct {
	// Answered counts requests whose answer was sent.
	Answered uint64
	// Dropped counts datagrams that were not well-formed Binding Requests.
	Dropped uint64
	// RateLimited counts well-formed requests dropped by the per-IP limit.
	RateLimited uint64
	// SendFailed counts answers the connection refused to send.
	SendFailed uint64
}

// New returns a responder that logs to logger, or nowhere when logger is nil.
// The rate limiter reads the time from now, or from time.Now when now is nil,
// so tests can pin the clock.
func New(logger *slog.Logger, now func() time.Time) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Server{logger: logger, limiter: newLimiter(now)}
}

// Serve answers requests read from conn, replying through conn itself, until
// conn is closed or ctx ends; it returns nil in both cases and any other read
// error otherwise. Serve does not close conn, which belongs to the caller: to
// stop on ctx it moves conn's read deadline into the past, and clears the
// deadline again before returning.
func (s *Server) Serve(ctx context.Context, conn net.PacketConn) error {
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		// An error here means conn is closed, which ends the read anyway.
		_ = conn.SetReadDeadline(time.Unix(1, 0))
		close(woken)
	})
	defer func() {
		if !stop() {
			<-woken
			_ = conn.SetReadDeadline(time.Time{})
		}
	}()

	s.logger.Info("stun: serving", "addr", conn.LocalAddr())
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("stun: read on %s: %w", conn.LocalAddr(), err)
		}
		s.handle(conn, buf[:n], from)
	}
}

func (s *Server) handle(conn net.PacketConn, pkt []byte, from net.Addr) {
	ua, ok := from.(*net.UDPAddr)
	if !ok {
		s.dropped.Add(1)
		return
	}
	src := ua.AddrPort()
	resp, ok := Respond(pkt, src)
	if !ok {
		s.dropped.Add(1)
		return
	}
	// Limiting only after validation keeps garbage from spoofed sources out
	// of the limiter's table.
	if !s.limiter.allow(src.Addr().Unmap()) {
		s.rateLimited.Add(1)
		return
	}
	// Replying to from rather than to src keeps the IPv6 zone and the mapped
	// form a dual-stack socket expects.
	if _, err := conn.WriteTo(resp, from); err != nil {
		s.sendFailed.Add(1)
		s.logger.Debug("stun: answer not sent", "to", from, "err", err)
		return
	}
	s.answered.Add(1)
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	return Stats{
		Answered:    s.answered.Load(),
		Dropped:     s.dropped.Load(),
		RateLimited: s.rateLimited.Load(),
		SendFailed:  s.sendFailed.Load(),
	}
}
