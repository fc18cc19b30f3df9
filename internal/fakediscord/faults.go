package fakediscord

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fault answers the next matching requests with an error instead of handling
// them. Guarded by Server.mu.
type fault struct {
	rule       string
	remaining  int
	status     int
	retryAfter time.Duration
}

type delayRule struct {
	rule string
	d    time.Duration
}

// RateLimitNext makes the next n requests matching rule answer 429, as
// Discord does: a Retry-After header (whole seconds, rounded up), the
// X-RateLimit-Limit, -Remaining (0), -Reset, -Reset-After, -Bucket and -Scope
// headers, and the body {"message": "You are being rate limited.",
// "retry_after": seconds, "global": false}. discordgo reads retry_after from
// the body, sleeps that long and retries the same request.
//
// A rule is a path prefix matched against Request.Path ("/channels/"), or a
// method and a prefix separated by a space ("PATCH /webhooks/").
func (s *Server) RateLimitNext(rule string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{rule: rule, remaining: n, status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// FailNext makes the next n requests matching rule (see RateLimitNext) answer
// status with a JSON error body. discordgo retries a 502 up to its
// MaxRestRetries and returns any other status as a *discordgo.RESTError.
func (s *Server) FailNext(rule string, n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{rule: rule, remaining: n, status: status})
}

// Delay makes every request matching rule (see RateLimitNext) wait d before it
// is answered, until Delay is called again for the same rule; d <= 0 removes
// the delay. A client that gives up first is recorded with Status 0.
func (s *Server) Delay(rule string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.delays[:0]
	for _, r := range s.delays {
		if r.rule != rule {
			kept = append(kept, r)
		}
	}
	s.delays = kept
	if d > 0 {
		s.delays = append(s.delays, delayRule{rule: rule, d: d})
	}
}

// ruleMatches reports whether a fault rule applies to a request.
func ruleMatches(rule, method, path string) bool {
	if m, prefix, ok := strings.Cut(rule, " "); ok {
		return m == method && strings.HasPrefix(path, prefix)
	}
	return strings.HasPrefix(path, rule)
}

// takeFault consumes one use of the first fault matching a request.
func (s *Server) takeFault(method, path string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.remaining > 0 && ruleMatches(f.rule, method, path) {
			f.remaining--
			taken := *f
			if f.remaining == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			return &taken
		}
	}
	return nil
}

// delayFor returns the total delay for a request.
func (s *Server) delayFor(method, path string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d time.Duration
	for _, r := range s.delays {
		if ruleMatches(r.rule, method, path) {
			d += r.d
		}
	}
	return d
}

// faultReply builds the response for an injected fault.
func faultReply(f *fault) reply {
	if f.status != http.StatusTooManyRequests {
		return errorReply(f.status, 0, http.StatusText(f.status))
	}
	secs := f.retryAfter.Seconds()
	h := http.Header{}
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	reset := float64(time.Now().Add(f.retryAfter).UnixMilli()) / 1000
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(reset, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", "fake-"+stableID("bucket:"+f.rule))
	h.Set("X-RateLimit-Scope", "user")
	return reply{
		status: http.StatusTooManyRequests,
		header: h,
		body: map[string]any{
			"message":     "You are being rate limited.",
			"retry_after": secs,
			"global":      false,
		},
	}
}
