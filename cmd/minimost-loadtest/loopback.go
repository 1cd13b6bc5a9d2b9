package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// The load generator talks to loopback only: a load test aimed at another
// machine by a typo is a denial of service. checkLoopback vets the target
// the user names, and loopbackDialer refuses, at connect time, every socket
// whose resolved address is not loopback, so no code path can reach
// another host even through a name that resolves elsewhere.

// checkLoopback accepts "HOST:PORT" where HOST is a loopback IP literal
// (127.0.0.0/8, ::1) or "localhost", and returns it with HOST as an IP
// literal (localhost becomes 127.0.0.1, without asking any resolver).
func checkLoopback(hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", fmt.Errorf("target %q: want HOST:PORT: %v", hostport, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return "", fmt.Errorf("target %q: bad port", hostport)
	}
	if host == "localhost" {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("target %q: the host must be a loopback address (127.0.0.1, ::1 or localhost)", hostport)
	}
	if ip.Zone() != "" || !ip.Unmap().IsLoopback() {
		return "", fmt.Errorf("target %q refused: minimost-loadtest only loads a daemon on this machine's loopback interface", hostport)
	}
	return net.JoinHostPort(ip.Unmap().String(), port), nil
}

// loopbackOnly is a net.Dialer Control function that refuses to connect
// anywhere but loopback.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("loopback guard: %s %q: %v", network, address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("loopback guard: refusing to connect to %s", address)
	}
	return nil
}

// loopbackDial dials TCP through the loopback guard.
func loopbackDial(ctx context.Context, network, address string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, Control: loopbackOnly}
	return d.DialContext(ctx, network, address)
}
