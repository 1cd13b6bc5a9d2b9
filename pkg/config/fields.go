package config

import (
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// field is one settings key as described by the struct tags of Settings or
// RateLimits (see the Settings doc comment for the tags).
type field struct {
	key   string
	index int
	kind  reflect.Kind

	intMin, intMax     int     // range of an int key
	floatMin, floatMax float64 // range of a float64 key
	itemsMin, itemsMax int     // length of a list key
	floor              int     // 0, or the value a lower setting is raised to

	listCheck   func([]string) string // rule of a list key, if any
	stringCheck func(string) string   // rule of a string key, if any
	restart     bool

	legacyAction string // action name in the legacy rate_limits form
	legacyWindow int64  // the key's own window in seconds
}

// The rules that check tags refer to. Each returns why the value is
// refused, or "" when it is allowed.
var (
	listChecks = map[string]func([]string) string{
		"channels": checkChannels,
		"networks": checkNetworks,
		"hosts":    checkHosts,
	}
	stringChecks = map[string]func(string) string{
		"abspath": checkAbsPath,
	}
)

// The key tables, in struct order, which is the order of behavior.md §2.
var (
	settingsFields  = fieldsOf(reflect.TypeFor[Settings]())
	rateLimitFields = fieldsOf(reflect.TypeFor[RateLimits]())
)

// fieldsOf reads the struct tags of t. A malformed tag is a programming
// error that every test run would hit, so it panics.
func fieldsOf(t reflect.Type) []field {
	fields := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		f := field{key: sf.Tag.Get("json"), index: i, kind: sf.Type.Kind()}
		if f.key == "" || strings.Contains(f.key, ",") {
			panic(fmt.Sprintf("config: %s.%s: json tag must be a bare key", t.Name(), sf.Name))
		}
		bad := func(tag string) {
			panic(fmt.Sprintf("config: %s: bad %s tag %q", f.key, tag, sf.Tag.Get(tag)))
		}
		switch f.kind {
		case reflect.Int:
			lo, hi, ok := intBounds(sf.Tag.Get("range"))
			if !ok {
				bad("range")
			}
			f.intMin, f.intMax = lo, hi
			if s := sf.Tag.Get("floor"); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n <= lo || n > hi {
					bad("floor")
				}
				f.floor = n
			}
		case reflect.Float64:
			lo, hi, ok := strings.Cut(sf.Tag.Get("range"), ",")
			var err1, err2 error
			f.floatMin, err1 = strconv.ParseFloat(lo, 64)
			f.floatMax, err2 = strconv.ParseFloat(hi, 64)
			if !ok || err1 != nil || err2 != nil || f.floatMax < f.floatMin {
				bad("range")
			}
		case reflect.Slice:
			lo, hi, ok := intBounds(sf.Tag.Get("items"))
			if !ok || sf.Type.Elem().Kind() != reflect.String {
				bad("items")
			}
			f.itemsMin, f.itemsMax = lo, hi
			if f.listCheck = listChecks[sf.Tag.Get("check")]; f.listCheck == nil {
				bad("check")
			}
		case reflect.String:
			if f.stringCheck = stringChecks[sf.Tag.Get("check")]; f.stringCheck == nil {
				bad("check")
			}
		case reflect.Struct:
			// parse and Diff treat the one nested object as rate_limits.
			if sf.Type != reflect.TypeFor[RateLimits]() {
				panic(fmt.Sprintf("config: %s: unsupported type %s", f.key, sf.Type))
			}
		case reflect.Bool:
		default:
			panic(fmt.Sprintf("config: %s: unsupported type %s", f.key, sf.Type))
		}
		f.restart = sf.Tag.Get("reload") == "restart"
		if s := sf.Tag.Get("legacy"); s != "" {
			action, window, _ := strings.Cut(s, ",")
			n, err := strconv.ParseInt(window, 10, 64)
			if action == "" || err != nil || n < 1 {
				bad("legacy")
			}
			f.legacyAction, f.legacyWindow = action, n
		}
		fields = append(fields, f)
	}
	return fields
}

// intBounds parses "lo,hi" or "lo," (no upper bound).
func intBounds(s string) (lo, hi int, ok bool) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, false
	}
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if b == "" {
		return lo, math.MaxInt, true
	}
	hi, err = strconv.Atoi(b)
	if err != nil || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}

// intRangeReason explains the range of f; an open upper bound is not
// worth mentioning unless the value exceeded it.
func (f *field) intRangeReason(tooLow bool) string {
	switch {
	case f.intMax != math.MaxInt:
		return fmt.Sprintf("must be between %d and %d", f.intMin, f.intMax)
	case tooLow:
		return fmt.Sprintf("must be at least %d", f.intMin)
	default:
		return fmt.Sprintf("must be at most %d", f.intMax)
	}
}

// itemsReason explains the allowed length of a list key.
func (f *field) itemsReason() string {
	if f.itemsMin == 0 {
		return fmt.Sprintf("must list at most %d entries", f.itemsMax)
	}
	return fmt.Sprintf("must list between %d and %d entries", f.itemsMin, f.itemsMax)
}

// channelNameRule is the public channel name rule of behavior.md §4.1,
// quoted in error messages.
const channelNameRule = "names are 1–80 characters of a–z A–Z 0–9 - _ ."

func checkChannels(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if !validChannelName(name) {
			return fmt.Sprintf("invalid channel name %q (%s)", name, channelNameRule)
		}
		// Valid names are ASCII, so ASCII folding is the case folding of
		// behavior.md §1.
		folded := strings.ToLower(name)
		if seen[folded] {
			return fmt.Sprintf("duplicate channel name %q (names are unique ignoring case)", name)
		}
		seen[folded] = true
	}
	return ""
}

func validChannelName(name string) bool {
	if len(name) < 1 || len(name) > 80 {
		return false
	}
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func checkNetworks(networks []string) string {
	for _, n := range networks {
		if _, err := netip.ParsePrefix(n); err != nil {
			return fmt.Sprintf("%q is not a CIDR such as 192.168.0.0/16 or fd00::/8", n)
		}
	}
	return ""
}

func checkHosts(hosts []string) string {
	for _, h := range hosts {
		if addr, err := netip.ParseAddr(h); err == nil {
			// A zone is local to one machine; it cannot appear in a
			// certificate or an Origin header.
			if addr.Zone() != "" {
				return fmt.Sprintf("%q: an IP address must not carry a zone", h)
			}
			continue
		}
		if !validDNSName(h) {
			return fmt.Sprintf("%q is not a DNS name or IP address", h)
		}
	}
	return ""
}

// validDNSName accepts a host name as a certificate dNSName needs it: dot
// separated labels of 1–63 letters, digits and inner hyphens, at most 253
// characters, no trailing dot and no wildcard.
func validDNSName(name string) bool {
	if len(name) < 1 || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if len(label) < 1 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	// Browsers read a host whose last label is a number as an IPv4
	// address (so "10.1" is 10.0.0.1), which would never match the name.
	return !looksNumeric(labels[len(labels)-1])
}

// looksNumeric reports whether a label is a decimal or 0x-prefixed
// hexadecimal number, the forms the WHATWG URL parser treats as IPv4 parts.
func looksNumeric(label string) bool {
	digits, base := label, "0123456789"
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		digits, base = label[2:], "0123456789abcdefABCDEF"
		if digits == "" {
			return true
		}
	}
	return strings.Trim(digits, base) == ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func checkAbsPath(p string) string {
	// The empty string means "not set".
	if p == "" {
		return ""
	}
	// No file name can hold a NUL byte; refuse it now rather than at the
	// first TLS handshake.
	if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
		return "must be an absolute path"
	}
	return ""
}
