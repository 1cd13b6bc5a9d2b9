package httpapi

import (
	"net/http"

	"github.com/minimost/minimost/pkg/chat"
)

// linkPreview answers GET /link-preview?url=: 200 with the preview, 204
// when there is none, 400 for a URL the server refuses to fetch.
func (s *server) linkPreview(w http.ResponseWriter, r *http.Request) error {
	raw := r.URL.Query().Get("url")
	if raw == "" {
		return chat.FieldError(chat.EBadRequest, "url", "url is required")
	}
	p, err := s.Previews.Preview(r.Context(), raw)
	if err != nil {
		return err
	}
	if p == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
