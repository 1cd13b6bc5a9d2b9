package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/big"
	"os"
	"reflect"
	"strconv"
	"strings"
)

// Error tells why a settings file cannot be used: which file, which key
// (dotted inside rate_limits, as in "rate_limits.login") and what rule the
// value breaks. Key is
// empty when the problem is the file as a whole (unreadable, not JSON, not
// an object).
type Error struct {
	File   string
	Key    string
	Reason string
}

// Error returns "settings: <file>: <key>: <reason>", the line the daemon
// logs after its "minimost: " prefix; the key part is left out when Key is
// empty.
func (e *Error) Error() string {
	if e.Key == "" {
		return "settings: " + e.File + ": " + e.Reason
	}
	return "settings: " + e.File + ": " + e.Key + ": " + e.Reason
}

// parseFile is the file name Parse reports, having no file of its own.
const parseFile = "settings.json"

// Parse validates one settings document and returns it merged over the
// defaults, with warnings for values it adjusted (a password_min_length
// below the STIG floor, a legacy rate_limits form). Errors are *Error with
// File "settings.json"; the first problem in document order is reported.
func Parse(data []byte) (*Settings, []string, error) {
	return parse(parseFile, data)
}

// Load reads and validates the settings file at path. A missing file means
// the defaults. Errors are *Error naming path.
func Load(path string) (*Settings, []string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Defaults(), nil, nil
	}
	if err != nil {
		// The path is already in the message; keep only the cause.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, &Error{File: path, Reason: "cannot read: " + err.Error()}
	}
	return parse(path, data)
}

// decoder carries what one parse needs to report problems.
type decoder struct {
	file     string
	warnings []string
}

func (d *decoder) fail(key, reason string) error {
	return &Error{File: d.file, Key: key, Reason: reason}
}

func (d *decoder) warn(key, text string) {
	d.warnings = append(d.warnings, "settings: "+d.file+": "+key+": "+text)
}

func parse(file string, data []byte) (*Settings, []string, error) {
	d := &decoder{file: file}
	// Check the syntax of the whole document first so that a broken file
	// is reported as such, not as whatever key precedes the break.
	var doc json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, d.fail("", syntaxReason(data, err))
	}
	if doc[0] != '{' {
		return nil, nil, d.fail("", "the top level must be a JSON object, not "+describe(doc))
	}
	members, err := objectMembers(doc)
	if err != nil {
		return nil, nil, d.fail("", "invalid JSON: "+err.Error())
	}
	s := Defaults()
	sv := reflect.ValueOf(s).Elem()
	seen := make(map[string]bool, len(members))
	for _, m := range members {
		if seen[m.key] {
			return nil, nil, d.fail(m.key, "duplicate key")
		}
		seen[m.key] = true
		f := lookup(settingsFields, m.key)
		if f == nil {
			return nil, nil, d.fail(m.key, "unknown key")
		}
		if f.kind == reflect.Struct {
			err = d.rateLimits(m.key, m.value, &s.RateLimits)
		} else {
			err = d.setValue(sv.Field(f.index), f, m.key, m.value)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := d.checkTLSPair(s); err != nil {
		return nil, nil, err
	}
	return s, d.warnings, nil
}

// checkTLSPair refuses a certificate without its key or a key without its
// certificate, since either alone cannot serve TLS.
func (d *decoder) checkTLSPair(s *Settings) error {
	cert, key := keyOf("TLSCertFile"), keyOf("TLSKeyFile")
	switch {
	case s.TLSCertFile != "" && s.TLSKeyFile == "":
		return d.fail(key, "must be set when "+cert+" is set")
	case s.TLSKeyFile != "" && s.TLSCertFile == "":
		return d.fail(cert, "must be set when "+key+" is set")
	}
	return nil
}

// keyOf returns the settings key of a Settings field, so that rules
// spanning several keys need not spell key names again.
func keyOf(goName string) string {
	sf, ok := reflect.TypeFor[Settings]().FieldByName(goName)
	if !ok {
		panic("config: no Settings field " + goName)
	}
	return sf.Tag.Get("json")
}

func lookup(fields []field, key string) *field {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// setValue decodes raw into v, a field of kind int, float64, bool, string
// or list of strings, and enforces the rules of f. key is the dotted name
// used in messages.
func (d *decoder) setValue(v reflect.Value, f *field, key string, raw json.RawMessage) error {
	switch f.kind {
	case reflect.Int:
		n, ok, inRange := intLiteral(raw)
		if !ok {
			return d.fail(key, "must be an integer")
		}
		if !inRange || n < int64(f.intMin) || n > int64(f.intMax) {
			return d.fail(key, f.intRangeReason(n < int64(f.intMin)))
		}
		if f.floor != 0 && n < int64(f.floor) {
			d.warn(key, fmt.Sprintf("%d raised to %d, the lowest value STIG allows", n, f.floor))
			n = int64(f.floor)
		}
		v.SetInt(n)
	case reflect.Float64:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return d.fail(key, "must be a number")
		}
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || x < f.floatMin || x > f.floatMax {
			return d.fail(key, fmt.Sprintf("must be between %g and %g", f.floatMin, f.floatMax))
		}
		v.SetFloat(x)
	case reflect.Bool:
		switch string(raw) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return d.fail(key, "must be true or false")
		}
	case reflect.String:
		str, ok := stringLiteral(raw)
		if !ok {
			return d.fail(key, "must be a string")
		}
		if reason := f.stringCheck(str); reason != "" {
			return d.fail(key, reason)
		}
		v.SetString(str)
	case reflect.Slice:
		list, reason := stringList(raw)
		if reason != "" {
			return d.fail(key, reason)
		}
		if len(list) < f.itemsMin || len(list) > f.itemsMax {
			return d.fail(key, f.itemsReason())
		}
		if reason := f.listCheck(list); reason != "" {
			return d.fail(key, reason)
		}
		v.Set(reflect.ValueOf(list))
	}
	return nil
}

// rateLimits applies a rate_limits object over rl: either sub-keys of the
// current form or pairs of the legacy form, each overriding only its own
// limit.
func (d *decoder) rateLimits(key string, raw json.RawMessage, rl *RateLimits) error {
	if raw[0] != '{' {
		return d.fail(key, "must be an object")
	}
	members, err := objectMembers(raw)
	if err != nil {
		return d.fail(key, "invalid JSON: "+err.Error())
	}
	rv := reflect.ValueOf(rl).Elem()
	seen := make(map[string]bool, len(members))
	// The first key of each form, to name it when the forms are mixed.
	var current, legacy string
	var conversions []string
	for _, m := range members {
		sub := key + "." + m.key
		if seen[m.key] {
			return d.fail(sub, "duplicate key")
		}
		seen[m.key] = true
		if f := lookup(rateLimitFields, m.key); f != nil {
			if legacy != "" {
				return d.fail(sub, "cannot be mixed with the legacy [max, window_seconds] form of "+key+"."+legacy)
			}
			if current == "" {
				current = m.key
			}
			if err := d.setValue(rv.Field(f.index), f, sub, m.value); err != nil {
				return err
			}
			continue
		}
		f := legacyField(m.key)
		if f == nil {
			return d.fail(sub, "unknown key")
		}
		if current != "" {
			return d.fail(sub, "the legacy [max, window_seconds] form cannot be mixed with "+key+"."+current)
		}
		if legacy == "" {
			legacy = m.key
		}
		n, text, reason := convertLegacy(m.value, f)
		if reason != "" {
			return d.fail(sub, reason)
		}
		rv.Field(f.index).SetInt(n)
		conversions = append(conversions, fmt.Sprintf("%s %s -> %s %d", m.key, text, f.key, n))
	}
	if len(conversions) > 0 {
		d.warn(key, "converted from the legacy [max, window_seconds] form: "+strings.Join(conversions, ", "))
	}
	return nil
}

// legacyField returns the sub-key a legacy action converts to, or nil.
func legacyField(action string) *field {
	for i := range rateLimitFields {
		// Sub-keys without a legacy form have an empty action, which must
		// not match an empty key.
		if f := &rateLimitFields[i]; f.legacyAction != "" && f.legacyAction == action {
			return f
		}
	}
	return nil
}

// convertLegacy turns a legacy [max, window_seconds] pair into the limit
// of f's window, rounded up so that the converted limit is never stricter
// than the old one. It returns the limit, the pair as text for the warning,
// or why the pair is refused.
func convertLegacy(raw json.RawMessage, f *field) (limit int64, text, reason string) {
	const shape = "must be a [max, window_seconds] pair of integers"
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil || len(items) != 2 {
		return 0, "", shape
	}
	var pair [2]int64
	for i, item := range items {
		n, ok, inRange := intLiteral(item)
		if !ok {
			return 0, "", shape
		}
		if n < 1 {
			return 0, "", "max and window_seconds must be at least 1"
		}
		if !inRange {
			return 0, "", fmt.Sprintf("max and window_seconds must be at most %d", math.MaxInt)
		}
		pair[i] = n
	}
	q := new(big.Int).Mul(big.NewInt(pair[0]), big.NewInt(f.legacyWindow))
	q.Add(q, big.NewInt(pair[1]-1))
	q.Quo(q, big.NewInt(pair[1]))
	if !q.IsInt64() || q.Int64() > math.MaxInt {
		return 0, "", fmt.Sprintf("converts to a %s above %d", f.key, math.MaxInt)
	}
	return q.Int64(), fmt.Sprintf("[%d, %d]", pair[0], pair[1]), ""
}

// member is one key and value of a JSON object, in document order.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers lists the members of a syntactically valid JSON object,
// keeping duplicates, which a map or struct decode would silently merge.
func objectMembers(obj json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		members = append(members, member{key: key, value: value})
	}
	return members, nil
}

// intLiteral parses a JSON integer. ok is false for anything else,
// including numbers with a fraction or exponent; inRange is false when the
// integer does not fit an int.
func intLiteral(raw json.RawMessage) (n int64, ok, inRange bool) {
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') || bytes.ContainsAny(raw, ".eE") {
		return 0, false, false
	}
	n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize)
	return n, true, err == nil
}

func stringLiteral(raw json.RawMessage) (string, bool) {
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// stringList decodes a JSON array of strings; the result is never nil so
// that an empty list stays distinct from an absent one when re-encoded.
func stringList(raw json.RawMessage) ([]string, string) {
	const reason = "must be a list of strings"
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, reason
	}
	list := make([]string, len(items))
	for i, item := range items {
		s, ok := stringLiteral(item)
		if !ok {
			return nil, fmt.Sprintf("%s (entry %d is %s)", reason, i+1, describe(item))
		}
		list[i] = s
	}
	return list, ""
}

// describe names the JSON type of a value for messages.
func describe(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// syntaxReason describes a JSON syntax error with the line and column an
// editor shows, since a byte offset is of little help to an operator.
func syntaxReason(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return "invalid JSON: " + err.Error()
	}
	// Offset counts the byte that failed; point at it, or at the last
	// byte when the input ended early.
	before := data[:min(max(int(se.Offset)-1, 0), len(data))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, se.Error())
}
