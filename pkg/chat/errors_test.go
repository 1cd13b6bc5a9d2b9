package chat

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		err         error
		code, msg   string
		errorString string
	}{
		{Errorf(ENotFound, "no channel %d", 7), ENotFound, "no channel 7", "not_found: no channel 7"},
		{fmt.Errorf("wrapped: %w", FieldError(EBadRequest, "text", "too long")), EBadRequest, "too long", "wrapped: bad_request: text: too long"},
		{errors.New("near \"SELCT\": syntax error in /var/lib/x.db"), EInternal, "internal error", "near \"SELCT\": syntax error in /var/lib/x.db"},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := ErrorMessage(tt.err); got != tt.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, tt.msg)
		}
		if got := tt.err.Error(); got != tt.errorString {
			t.Errorf("Error() = %q, want %q", got, tt.errorString)
		}
	}
}
