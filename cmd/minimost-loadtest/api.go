package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// api is an HTTPS client of the daemon's /api/v1, over loopback only. It
// keeps up to conns connections open, so the figures are of requests and
// not of TLS handshakes. HTTP/1.1, like a bot with a keep-alive connection.
type api struct {
	d  *daemon
	hc *http.Client
	tr *http.Transport
}

func newAPI(d *daemon, conns int) *api {
	tr := &http.Transport{
		DialContext:         loopbackDial,
		TLSClientConfig:     &tls.Config{RootCAs: d.ca, MinVersion: tls.VersionTLS12},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &api{d: d, tr: tr, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second,
		// The API never redirects; a redirect would be a surprise to fail on.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (a *api) close() { a.tr.CloseIdleConnections() }

// call sends one request. in (when not nil) is sent as JSON; a 2xx answer
// is decoded into out when out is not nil. It returns the status; a non-2xx
// status is not an error here, the caller decides.
func (a *api) call(ctx context.Context, method, path, bearer string, hdr http.Header, in, out any) (int, http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "https://"+a.d.addr+path, body)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: bad answer: %w", method, path, err)
		}
	}
	// Drain, so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, nil
}

func (a *api) get(ctx context.Context, path, bearer string, out any) (int, error) {
	st, _, err := a.call(ctx, http.MethodGet, path, bearer, nil, nil, out)
	return st, err
}

func (a *api) post(ctx context.Context, path, bearer string, in, out any) (int, error) {
	st, _, err := a.call(ctx, http.MethodPost, path, bearer, nil, in, out)
	return st, err
}

// account is one load-test user and its bot token.
type account struct {
	Username string `json:"username"`
	Token    string `json:"token"`
}

// accountsFile is what the data directory keeps between runs, so accounts
// are made once per data directory (a signup costs a password hash).
type accountsFile struct {
	// Prefix names this file's accounts, so a lost file never collides
	// with the accounts it made.
	Prefix   string    `json:"prefix"`
	Password string    `json:"password"`
	Accounts []account `json:"accounts"`
}

const accountsFileName = "loadtest-accounts.json"

// ensureAccounts returns n accounts with working bot tokens, reusing those
// recorded in the data directory and signing up only the missing ones.
func ensureAccounts(ctx context.Context, d *daemon, n int, log io.Writer) ([]account, error) {
	path := filepath.Join(d.dataDir, accountsFileName)
	var f accountsFile
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	c := newAPI(d, 8)
	defer c.close()
	// Tokens of another database (a wiped data directory) start afresh.
	if len(f.Accounts) > 0 {
		st, err := c.get(ctx, "/api/v1/session", f.Accounts[0].Token, nil)
		if err != nil {
			return nil, err
		}
		if st != http.StatusOK {
			fmt.Fprintf(log, "accounts in %s are not known to this daemon (GET /session: %d); making new ones\n", accountsFileName, st)
			f = accountsFile{}
		}
	}
	if f.Prefix == "" {
		f.Prefix = "lt" + randomHex(3)
		f.Password = "Lt-" + randomHex(12) + "-Xy9!"
	}
	if len(f.Accounts) >= n {
		return f.Accounts[:n], nil
	}
	missing := n - len(f.Accounts)
	fmt.Fprintf(log, "signing up %d load-test accounts (once per data directory; each costs a password hash)...\n", missing)
	t0 := time.Now()
	made := make([]account, missing)
	errs := make([]error, missing)
	var wg sync.WaitGroup
	// The daemon hashes on cores-1 threads; a few requests in flight keep
	// them busy.
	sem := make(chan struct{}, 4)
	for i := range missing {
		name := fmt.Sprintf("%s-%04d", f.Prefix, len(f.Accounts)+i)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			made[i], errs[i] = signupWithToken(ctx, c, name, f.Password)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			// Keep what worked, so a retry makes only the rest.
			f.Accounts = append(f.Accounts, made[:i]...)
			_ = writeAccounts(path, &f)
			return nil, err
		}
	}
	f.Accounts = append(f.Accounts, made...)
	if err := writeAccounts(path, &f); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "  %d accounts in %.1f s, kept in %s\n", missing, time.Since(t0).Seconds(), accountsFileName)
	return f.Accounts[:n], nil
}

// signupWithToken makes an account and one bot token for it.
func signupWithToken(ctx context.Context, c *api, username, password string) (account, error) {
	var su struct {
		CSRFToken string `json:"csrf_token"`
	}
	st, hdr, err := c.call(ctx, http.MethodPost, "/api/v1/signup", "", nil,
		map[string]string{"username": username, "password": password}, &su)
	if err != nil {
		return account{}, err
	}
	if st != http.StatusCreated {
		return account{}, fmt.Errorf("signup %s: status %d (is rate_limit_enabled false in the daemon's settings?)", username, st)
	}
	var cookie string
	for _, ck := range (&http.Response{Header: hdr}).Cookies() {
		if ck.Name == "minimost_session" {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		return account{}, fmt.Errorf("signup %s: no session cookie", username)
	}
	var tok struct {
		Token string `json:"token"`
	}
	h := http.Header{"Cookie": {cookie}, "X-Csrf-Token": {su.CSRFToken}}
	st, _, err = c.call(ctx, http.MethodPost, "/api/v1/me/tokens", "", h, map[string]string{"name": "loadtest"}, &tok)
	if err != nil {
		return account{}, err
	}
	if st != http.StatusCreated || tok.Token == "" {
		return account{}, fmt.Errorf("POST /me/tokens for %s: status %d", username, st)
	}
	return account{Username: username, Token: tok.Token}, nil
}

func writeAccounts(path string, f *accountsFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// channel is the part of a Channel the load test uses.
type channel struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// publicChannels lists the public channels, in sidebar order.
func publicChannels(ctx context.Context, c *api, token string) ([]channel, error) {
	var all []channel
	st, err := c.get(ctx, "/api/v1/channels", token, &all)
	if err != nil {
		return nil, err
	}
	if st != http.StatusOK {
		return nil, fmt.Errorf("GET /channels: status %d", st)
	}
	var pub []channel
	for _, ch := range all {
		if ch.Kind == "public" {
			pub = append(pub, ch)
		}
	}
	if len(pub) == 0 {
		return nil, errors.New("the daemon has no public channel")
	}
	return pub, nil
}

// postText posts one message and reports whether the daemon answered 201
// (durable by design: a 201 is sent after the commit).
func postText(ctx context.Context, c *api, token string, channelID int64, text, clientID string) error {
	body := map[string]string{"text": text}
	if clientID != "" {
		body["client_id"] = clientID
	}
	st, err := c.post(ctx, fmt.Sprintf("/api/v1/channels/%d/messages", channelID), token, body, nil)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("POST /channels/%d/messages: status %d", channelID, st)
	}
	return nil
}

// trimErr shortens an error for a one-line report.
func trimErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
