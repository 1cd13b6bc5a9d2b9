package httpapi

import (
	"io"
	"net/http"

	"github.com/minimost/minimost/pkg/chat"
)

// healthz answers 200 "ok" once the daemon serves, for load balancers and
// the package test.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	if !s.Ready() {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "starting")
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
	return nil
}

// caPEM serves the local CA so users can trust it; with an operator
// certificate there may be none to serve.
func (s *server) caPEM(w http.ResponseWriter, r *http.Request) error {
	pem := s.CAPEM()
	if pem == nil {
		return chat.Errorf(chat.ENotFound, "no local certificate authority: this server uses an operator certificate")
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="minimost-ca.pem"`)
	w.Write(pem)
	return nil
}
