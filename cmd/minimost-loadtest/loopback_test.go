package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"127.0.0.1:6767", "127.0.0.1:6767"},
		{"127.1.2.3:443", "127.1.2.3:443"},
		{"[::1]:6767", "[::1]:6767"},
		{"[::ffff:127.0.0.1]:6767", "127.0.0.1:6767"},
		{"localhost:8443", "127.0.0.1:8443"},
	} {
		got, err := checkLoopback(c.in)
		if err != nil || got != c.want {
			t.Errorf("checkLoopback(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{
		"192.0.2.1:443",      // another machine
		"0.0.0.0:6767",       // every interface, not loopback
		"[::]:6767",          //
		"[2001:db8::1]:6767", //
		"[fe80::1%lo]:6767",  // a zone is not loopback
		"example.com:443",    // names are refused, never resolved
		"localhost.example.com:443",
		"127.0.0.1",       // no port
		"127.0.0.1:0",     // no usable port
		"127.0.0.1:70000", //
		"127.0.0.1:https", // numeric ports only
		"",
	} {
		if got, err := checkLoopback(in); err == nil {
			t.Errorf("checkLoopback(%q) = %q, want a refusal", in, got)
		}
	}
}

func TestLoopbackDialRefusesOtherHosts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// TEST-NET addresses: the guard must refuse before any packet leaves.
	for _, addr := range []string{"192.0.2.1:443", "[2001:db8::1]:443", "0.0.0.0:443"} {
		c, err := loopbackDial(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			t.Fatalf("loopbackDial(%s) connected", addr)
		}
		if !strings.Contains(err.Error(), "loopback guard") {
			t.Errorf("loopbackDial(%s): %v; want the guard's refusal", addr, err)
		}
	}
	// Loopback itself connects.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := loopbackDial(ctx, "tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("loopbackDial(%s): %v", l.Addr(), err)
	}
	c.Close()
}

func TestRunRefusesNonLoopbackTarget(t *testing.T) {
	for _, addr := range []string{"192.0.2.1:443", "example.com:443"} {
		var out, errs bytes.Buffer
		err := run(context.Background(), []string{"--addr", addr, "--data-dir", t.TempDir()}, &out, &errs)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Fatalf("run --addr %s: %v; want a usage error", addr, err)
		}
		if !strings.Contains(err.Error(), "loopback") {
			t.Errorf("run --addr %s: %q does not say why", addr, err)
		}
		if out.Len() != 0 {
			t.Errorf("run --addr %s printed %q", addr, out.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	var errs bytes.Buffer
	o, err := parseFlags([]string{"--scenarios", "latency,search", "--clients", "10, 20", "--senders", "2"}, &errs)
	if err != nil {
		t.Fatal(err)
	}
	if !o.scenarios["latency"] || !o.scenarios["search"] || o.scenarios["idle"] {
		t.Errorf("scenarios = %v", o.scenarios)
	}
	if len(o.clients) != 2 || o.clients[0] != 10 || o.clients[1] != 20 || len(o.senders) != 1 || o.senders[0] != 2 {
		t.Errorf("clients %v senders %v", o.clients, o.senders)
	}
	for _, bad := range [][]string{
		{"--scenarios", "latency,bogus"},
		{"--clients", "0"},
		{"--clients", ""},
		{"--seed", "maybe"},
		{"--addr", "127.0.0.1:6767", "--seed", "sqlite"},
		{"--timeout", "0s"},
		{"stray"},
	} {
		if _, err := parseFlags(bad, &errs); err == nil {
			t.Errorf("parseFlags(%q): want an error", bad)
		}
	}
}
