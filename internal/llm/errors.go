package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
)

var (
	// ErrEmptyCompletion means the model answered with no text.
	ErrEmptyCompletion = errors.New("model returned an empty completion")
	// ErrStreamInterrupted means a streamed reply failed after some text
	// had been passed to the caller. It is not retried, since the caller
	// has already shown that text; ChatResult.Text holds what arrived.
	ErrStreamInterrupted = errors.New("model stream interrupted")
	// ErrMalformedResponse means the server answered with something that is
	// not the API's JSON or event stream, such as a proxy's HTML page.
	ErrMalformedResponse = errors.New("malformed response from model server")
)

// maxMessageBytes bounds the server message kept in an APIError.
const maxMessageBytes = 300

// APIError is an error answer from the server: an HTTP status outside 2xx,
// or an error event inside a stream (StatusCode 0). Its text is trimmed and
// never contains the API key.
type APIError struct {
	// StatusCode is the HTTP status, or 0 for an error sent mid-stream.
	StatusCode int
	// Type and Code are the API's error type and code, when it sent them.
	Type string
	Code string
	// Message is the server's message, or the start of its body.
	Message string
	// RetryAfter is the wait the server asked for (Retry-After or
	// Retry-After-Ms), or 0.
	RetryAfter time.Duration
}

// Error describes the error for a log.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.StatusCode > 0 {
		fmt.Fprintf(&b, "server answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	} else {
		b.WriteString("server sent an error")
	}
	if e.Message != "" && e.Message != http.StatusText(e.StatusCode) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Type != "" || e.Code != "" {
		fmt.Fprintf(&b, " (type %q, code %q)", e.Type, e.Code)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Retryable reports whether the status is worth another attempt: 408, 409,
// 429 and 5xx are.
func (e *APIError) Retryable() bool {
	return retryableStatus(e.StatusCode)
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

// Retryable reports whether err is a transient failure that another attempt
// may cure: a rate limit or server error status, a timed-out attempt, or a
// connection refused, reset or closed early. Client errors (400, 401, 403,
// 404), malformed or empty replies, interrupted streams and cancellation are
// not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	switch {
	case errors.Is(err, ErrStreamInterrupted), errors.Is(err, ErrEmptyCompletion),
		errors.Is(err, ErrMalformedResponse), errors.Is(err, context.Canceled):
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Retryable()
	}
	var oaErr *openai.APIError
	if errors.As(err, &oaErr) {
		return retryableStatus(oaErr.HTTPStatusCode)
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return retryableStatus(reqErr.HTTPStatusCode)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

// convert turns go-openai's error types into an *APIError, dropping the
// originals so no caller can reach a body that echoes the key, and marks
// undecodable replies as malformed. retryAfter comes from the response
// headers.
func (c *Client) convert(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	var oaErr *openai.APIError
	if errors.As(err, &oaErr) {
		return &APIError{
			StatusCode: oaErr.HTTPStatusCode,
			Type:       c.redact(oaErr.Type),
			Code:       c.redact(codeString(oaErr.Code)),
			Message:    c.redact(trim(oaErr.Message)),
			RetryAfter: retryAfter,
		}
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		msg := strings.TrimSpace(string(reqErr.Body))
		if msg == "" && reqErr.Err != nil {
			msg = reqErr.Err.Error()
		}
		return &APIError{
			StatusCode: reqErr.HTTPStatusCode,
			Message:    c.redact(trim(msg)),
			RetryAfter: retryAfter,
		}
	}
	if err == io.EOF { //nolint:errorlint // only a bare EOF comes from decoding an empty body
		return fmt.Errorf("%w: empty response body", ErrMalformedResponse)
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return fmt.Errorf("%w: %w", ErrMalformedResponse, err)
	}
	return err
}

func codeString(code any) string {
	switch v := code.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// trim shortens a server message to maxMessageBytes on a rune boundary.
func trim(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessageBytes {
		return s
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// minSecretLen is the shortest key that is redacted: shorter "keys" are
// placeholders such as "ollama", and replacing them would mangle messages.
const minSecretLen = 8

const redacted = "[REDACTED]"

func (c *Client) redact(s string) string {
	if len(c.key) < minSecretLen {
		return s
	}
	return strings.ReplaceAll(s, c.key, redacted)
}

// safeError keeps an error's chain for errors.Is and errors.As but shows a
// text with the API key removed.
type safeError struct {
	text string
	err  error
}

func (e *safeError) Error() string { return e.text }
func (e *safeError) Unwrap() error { return e.err }

// safe returns err, wrapped so that its text cannot show the API key.
func (c *Client) safe(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	clean := c.redact(text)
	if clean == text {
		return err
	}
	return &safeError{text: clean, err: err}
}
