package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

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
	trimmed, err := exactNames(trimmed, v)
	if err != nil {
		return chat.Errorf(chat.EBadRequest, "the body is not valid JSON")
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

// exactNames drops the members of the body's object whose names are not
// exactly a field name of the struct v points to. encoding/json would match
// "Password" or "USERNAME" to a field case-insensitively; the API's names
// are exact, so those are unknown fields, ignored like any other (and a body
// cannot smuggle a second spelling of a field past a check of the first).
// A v that is not a pointer to a struct is decoded as sent.
func exactNames(body []byte, v any) ([]byte, error) {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return body, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for f := range t.Elem().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" && f.IsExported() {
			known[name] = true
		}
	}
	for name := range members {
		if !known[name] {
			delete(members, name)
		}
	}
	return json.Marshal(members)
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
