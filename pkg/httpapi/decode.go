package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/minimost/minimost/pkg/chat"
)

// Body limits of behavior.md §1.
const (
	maxJSONBody  = 1 << 20
	maxJSONDepth = 64
)

// decode reads a JSON object body into v. Unknown fields are ignored (never
// honoured); a known field of the wrong type names the field; anything but
// an object, nesting beyond 64 levels or more than 1 MiB is refused.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return chat.Errorf(chat.ETooLarge, "the request body is larger than 1 MiB")
	}
	if err != nil {
		return chat.Errorf(chat.EBadRequest, "could not read the request body")
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return chat.Errorf(chat.EBadRequest, "the body must be a JSON object")
	}
	if depth(trimmed) > maxJSONDepth {
		return chat.Errorf(chat.EBadRequest, "the body nests deeper than %d levels", maxJSONDepth)
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return chat.FieldError(chat.EBadRequest, te.Field, "%s has the wrong type", te.Field)
		}
		return chat.Errorf(chat.EBadRequest, "the body is not valid JSON")
	}
	return nil
}

// depth returns the deepest nesting of objects and arrays, skipping
// strings; it runs before decoding so a hostile body cannot make the
// decoder recurse.
func depth(b []byte) int {
	d, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

// required reports a missing string field by name.
func required(field string, v *string) error {
	if v == nil {
		return chat.FieldError(chat.EBadRequest, field, "%s is required", field)
	}
	return nil
}
