package fakediscord

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names of the rate-limit buckets, for RouteLimits. Each name is a family
// of buckets: one per major parameter, as on Discord, so that two
// interactions, or two channels, never share one.
const (
	// BucketWebhook holds the requests on one interaction token (or
	// webhook): its follow-ups, and reading, editing and deleting its
	// messages (/webhooks/{app}/{token}/...).
	BucketWebhook = "webhook"
	// BucketCallback holds the callbacks of one interaction.
	BucketCallback = "callback"
	// BucketChannelMessages holds creating and editing messages in one
	// channel.
	BucketChannelMessages = "channel-messages"
	// BucketMessageDelete holds deleting messages in one channel.
	BucketMessageDelete = "message-delete"
	// BucketOther holds each other route (method and path) by itself.
	BucketOther = "other"
)

// A RouteLimit is how many requests a bucket takes in a window; the window
// starts with the first request after the last one ended.
type RouteLimit struct {
	Requests int
	Per      time.Duration
}

// DefaultLimits are the fake's limits: those Discord announces in its
// X-RateLimit headers for the routes a bot uses (5 requests per 2 s on an
// interaction token, 5 per 5 s for messages in a channel), and a generous
// 50 a second elsewhere.
func DefaultLimits() map[string]RouteLimit {
	return map[string]RouteLimit{
		BucketWebhook:         {Requests: 5, Per: 2 * time.Second},
		BucketCallback:        {Requests: 5, Per: time.Second},
		BucketChannelMessages: {Requests: 5, Per: 5 * time.Second},
		BucketMessageDelete:   {Requests: 5, Per: time.Second},
		BucketOther:           {Requests: 50, Per: time.Second},
	}
}

// RouteLimits changes the limits of the named buckets (see BucketWebhook
// and the other names); the others keep DefaultLimits. A limit with no
// requests turns that family's buckets off.
func RouteLimits(limits map[string]RouteLimit) Option {
	return func(c *config) {
		if c.limits == nil {
			c.limits = DefaultLimits()
		}
		for name, l := range limits {
			c.limits[name] = l
		}
	}
}

// NoRateLimits turns the rate-limit buckets off: every request succeeds,
// with headers announcing a generous bucket, as the fake did before it
// had buckets. Injected faults (RateLimitNext) still apply.
func NoRateLimits() Option {
	return func(c *config) { c.limits = nil }
}

// bucket is one rate-limit bucket's window. Guarded by Server.mu.
type bucket struct {
	limit RouteLimit
	count int
	reset time.Time
}

// bucketOf names the bucket family and key of an API request.
func bucketOf(method string, segs []string) (name, key string) {
	switch {
	case len(segs) == 4 && segs[0] == "interactions" && segs[3] == "callback":
		return BucketCallback, segs[1]
	case len(segs) >= 3 && segs[0] == "webhooks":
		return BucketWebhook, segs[1] + "/" + segs[2]
	case len(segs) >= 3 && segs[0] == "channels" && segs[2] == "messages" && method == http.MethodDelete:
		return BucketMessageDelete, segs[1]
	case len(segs) >= 3 && segs[0] == "channels" && segs[2] == "messages" &&
		(method == http.MethodPost && len(segs) == 3 || method == http.MethodPatch && len(segs) == 4):
		return BucketChannelMessages, segs[1]
	}
	return BucketOther, method + " " + strings.Join(segs, "/")
}

// maxBuckets is how many buckets the fake keeps before it forgets those
// whose window has ended.
const maxBuckets = 4096

// takeBucket counts one request against its bucket. It returns the
// headers to answer with and, when the bucket is empty, how long until it
// refills (the request is then refused, and not counted). ok is false when
// the family has no limit.
func (s *Server) takeBucket(method string, segs []string, now time.Time) (h http.Header, retryAfter time.Duration, ok bool) {
	name, key := bucketOf(method, segs)
	s.mu.Lock()
	defer s.mu.Unlock()
	limit, limited := s.cfg.limits[name]
	if !limited || limit.Requests <= 0 || limit.Per <= 0 {
		return nil, 0, false
	}
	id := name + ":" + key
	b := s.buckets[id]
	if b == nil || !now.Before(b.reset) {
		if len(s.buckets) >= maxBuckets {
			for k, old := range s.buckets {
				if !now.Before(old.reset) {
					delete(s.buckets, k)
				}
			}
		}
		b = &bucket{limit: limit, reset: now.Add(limit.Per)}
		s.buckets[id] = b
	}
	if b.count >= limit.Requests {
		retryAfter = b.reset.Sub(now)
		return limitHeaders(name, limit, 0, b.reset, now), retryAfter, true
	}
	b.count++
	return limitHeaders(name, limit, limit.Requests-b.count, b.reset, now), 0, true
}

// limitHeaders are the X-RateLimit headers Discord sends with a bucket's
// state.
func limitHeaders(name string, l RouteLimit, remaining int, reset, now time.Time) http.Header {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.Requests))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(math.Max(reset.Sub(now).Seconds(), 0), 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", "fake-"+stableID("bucket:"+name))
	return h
}

// tooManyRequests is Discord's 429 for an empty bucket: the bucket's
// headers, Retry-After in whole seconds (rounded up) and the exact wait in
// the body.
func tooManyRequests(h http.Header, retryAfter time.Duration, scope string) reply {
	secs := retryAfter.Seconds()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	h.Set("X-RateLimit-Scope", scope)
	return reply{
		status: http.StatusTooManyRequests,
		header: h,
		body: map[string]any{
			"message":     "You are being rate limited.",
			"retry_after": math.Round(secs*1000) / 1000,
			"global":      false,
		},
	}
}

// SetLatency changes the round-trip delay of every REST request (see
// Latency).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ManualClock is a clock for Clock that moves only when told to.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock showing start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// String describes a limit, for test messages.
func (l RouteLimit) String() string { return fmt.Sprintf("%d per %v", l.Requests, l.Per) }
