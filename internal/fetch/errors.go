package fetch

import (
	"errors"
	"fmt"
)

// The sentinel errors below classify every failure of Get. Callers branch on
// them with errors.Is; the *Error that wraps them carries a message written
// for the person who asked for the page.
var (
	// ErrBadURL means the address could not be parsed, has no host, or
	// carries a user name or password.
	ErrBadURL = errors.New("that is not a valid web address")
	// ErrScheme means the address (or a redirect) is not http or https, or a
	// redirect would downgrade https to http.
	ErrScheme = errors.New("only http and https URLs can be fetched")
	// ErrForbiddenAddress means the host is, or resolves to, an address that
	// must not be contacted: loopback, private, link-local and the like.
	ErrForbiddenAddress = errors.New("the address is private, loopback or link-local")
	// ErrTooLarge means the page (after decompression) exceeds Config.MaxBytes.
	ErrTooLarge = errors.New("the page is too large")
	// ErrTimeout means the server did not deliver the whole page within
	// Config.Timeout.
	ErrTimeout = errors.New("the server took too long to answer")
	// ErrTooManyRedirects means the redirect chain exceeded Config.MaxRedirects.
	ErrTooManyRedirects = errors.New("the page redirected too many times")
	// ErrStatus means the server answered with a status other than 2xx.
	ErrStatus = errors.New("the server answered with an error")
	// ErrContentType means the page is not HTML, plain text, Markdown or JSON.
	ErrContentType = errors.New("the page is not HTML, plain text, Markdown or JSON")
	// ErrUnreachable means the host could not be found or connected to
	// (DNS failure, connection refused, TLS failure).
	ErrUnreachable = errors.New("the server could not be reached")
	// ErrCanceled means the caller's context was canceled before the page
	// arrived.
	ErrCanceled = errors.New("the download was canceled")
)

// Error is the error Get returns. Error() is a message fit to show to the
// user who asked for the page (it never contains Go internals); Kind is one
// of the Err* sentinels and Err, when not nil, is the underlying cause, meant
// for the operator's logs. errors.Is matches both Kind and Err.
type Error struct {
	Kind    error
	Message string
	Err     error
}

// Error returns the user-presentable message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel kind and, if there is one, the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// newError builds an *Error of the given kind with a formatted message.
func newError(kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: cause}
}

// formatBytes renders a byte count for messages, e.g. "5 MiB" or "1500 bytes".
func formatBytes(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
	)
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
