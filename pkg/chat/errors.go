// Package chat holds MiniMost's domain: its types, its rules and the one
// error type every layer speaks. It imports nothing else of ours.
package chat

import (
	"errors"
	"fmt"
)

// Error codes of api.md §1. Each transport maps them to its status codes
// in one table; anything that is not an *Error is internal.
const (
	EBadRequest         = "bad_request"
	EUnauthenticated    = "unauthenticated"
	ECSRF               = "csrf"
	EForbidden          = "forbidden"
	ENotFound           = "not_found"
	EConflict           = "conflict"
	ETooLarge           = "too_large"
	ERateLimited        = "rate_limited"
	ELocked             = "locked"
	EPasswordExpired    = "password_expired"
	EWeakPassword       = "weak_password"
	EPasswordReused     = "password_reused"
	EPasswordTooNew     = "password_too_new"
	EInvalidUsername    = "invalid_username"
	EUsernameTaken      = "username_taken"
	EReservedUsername   = "reserved_username"
	EInvalidCredentials = "invalid_credentials"
	EGone               = "gone"
	EInternal           = "internal"
)

// Error is a failure meant for the caller: a code from the list above, a
// message a person can read, and for validation errors the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a validation *Error naming the field at fault.
func FieldError(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EInternal for anything but an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message meant for the caller. An internal error
// gets a fixed message, so no detail of its cause (SQL, paths) leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
