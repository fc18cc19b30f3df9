package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/newsbot/newsbot/internal/backoff"
)

// retryHint carries the Retry-After of a failed response from the transport
// back to the retry loop, since go-openai drops the headers of error
// responses to streams.
type retryHint struct {
	mu    sync.Mutex
	after time.Duration
}

func (h *retryHint) set(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.after = d
}

func (h *retryHint) get() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.after
}

type hintKey struct{}

// hintTransport records the Retry-After header of error responses in the
// request's retryHint, when it has one.
type hintTransport struct {
	base http.RoundTripper
}

func (t hintTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.StatusCode >= 400 {
		if h, ok := req.Context().Value(hintKey{}).(*retryHint); ok {
			h.set(parseRetryAfter(resp.Header, time.Now()))
		}
	}
	return resp, err
}

// CloseIdleConnections passes the call on to the wrapped transport.
func (t hintTransport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// parseRetryAfter reads Retry-After-Ms (sent by OpenAI), then Retry-After
// in seconds or as an HTTP date. It returns 0 when neither is usable.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff returns the wait before retry number n (1 for the first retry):
// the server's Retry-After when it gave one, otherwise BackoffBase doubled
// n-1 times with jitter in its upper half; both capped at MaxBackoff.
func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.maxBackoff)
	}
	return backoff.Policy{Base: c.backoffBase, Max: c.maxBackoff, Jitter: true}.Delay(n)
}

// attemptFunc makes one attempt with a context bounded by the attempt
// timeout.
type attemptFunc func(ctx context.Context) error

// retry runs attempt until it succeeds, fails for good, or ctx ends. Each
// attempt holds a concurrency slot and has its own timeout; the slot is
// released while waiting to retry. It returns the number of attempts made
// and the last error, converted and wrapped with op and the attempt count.
func (c *Client) retry(ctx context.Context, op string, attempt attemptFunc) (int, error) {
	for n := 1; ; n++ {
		if err := c.acquire(ctx); err != nil {
			if n == 1 {
				return n - 1, fmt.Errorf("%s: waiting for a free slot: %w", op, err)
			}
			return n - 1, fmt.Errorf("%s: waiting for a free slot after %d attempts: %w", op, n-1, err)
		}
		hint := &retryHint{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, hintKey{}, hint), c.timeout)
		err := attempt(actx)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		c.release()
		if err == nil {
			return n, nil
		}

		err = c.convert(err, hint.get())
		if timedOut && ctx.Err() == nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("no complete reply within %s: %w", c.timeout, err)
			} else {
				// The deadline cut a read whose error does not say so.
				err = fmt.Errorf("no complete reply within %s: %w: %w", c.timeout, context.DeadlineExceeded, err)
			}
		}
		if cerr := ctx.Err(); cerr != nil {
			if !errors.Is(err, cerr) {
				err = fmt.Errorf("%w: %w", cerr, err)
			}
			return n, fmt.Errorf("%s: stopped after %d attempt(s): %w", op, n, err)
		}
		if !Retryable(err) || n > c.maxRetries {
			return n, fmt.Errorf("%s: failed after %d attempt(s): %w", op, n, err)
		}

		var retryAfter time.Duration
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			retryAfter = apiErr.RetryAfter
		}
		wait := c.backoff(n, retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return n, fmt.Errorf("%s: failed after %d attempt(s), no time left to wait %s for a retry: %w",
				op, n, wait.Round(time.Millisecond), err)
		}
		if c.logger != nil {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "model request failed, retrying",
				slog.String("op", op), slog.Int("attempt", n),
				slog.Duration("wait", wait), slog.String("error", c.redact(err.Error())))
		}
		if serr := backoff.Sleep(ctx, wait); serr != nil {
			return n, fmt.Errorf("%s: stopped while waiting to retry after %d attempt(s): %w (last error: %w)",
				op, n, serr, err)
		}
	}
}
