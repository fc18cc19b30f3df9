package fakediscord

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is one REST request as the fake received it. Its maps and slices
// are shared with the server's record: treat them as read-only.
type Request struct {
	// Seq is the request's 1-based position in arrival order.
	Seq int
	// Time is when the request arrived.
	Time time.Time
	// Method is the HTTP method.
	Method string
	// Host is the host the client addressed, e.g. "discord.com".
	Host string
	// Path is the API path without the "/api/vN" prefix, e.g.
	// "/channels/1/messages"; paths outside the API (attachment downloads)
	// are kept whole.
	Path  string
	Query url.Values
	// Header holds the request headers, Authorization among them.
	Header http.Header
	// Body is the raw body, multipart bodies included.
	Body []byte
	// JSON is the decoded payload when it is a JSON object: the body, or the
	// "payload_json" part of a multipart body.
	JSON map[string]any
	// JSONList is the decoded payload when it is a JSON array (a bulk
	// command overwrite).
	JSONList []any
	// Files are the file parts of a multipart body.
	Files []File
	// InteractionID and InteractionToken name the interaction a callback or
	// webhook request is about; the ID is known for webhook requests only
	// when the interaction was dispatched or acknowledged through the fake.
	InteractionID    string
	InteractionToken string
	// Status is the HTTP status the fake answered; 0 when the client gave up
	// first (during a Delay).
	Status int
}

// File is a file part of a multipart request.
type File struct {
	// Field is the form field, e.g. "files[0]".
	Field       string
	Name        string
	ContentType string
	Data        []byte
}

// MentionViolation is a request whose message payload did not carry empty
// allowed mentions.
type MentionViolation struct {
	Request Request
	Reason  string
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// MentionViolations returns the recorded allowed-mentions violations.
//
// A request is checked when it creates or edits a message: an interaction
// callback of type 4, 5, 6 or 7 (its "data"), a webhook execute (follow-up)
// or webhook message edit, and a channel message create or edit. It is in
// violation when its payload carries a message, meaning non-empty "content",
// "embeds" or "components", and its "allowed_mentions" is missing, lacks
// "parse", has a "parse" that is not an empty array, lists users or roles, or
// sets "replied_user". A deferred callback with no content, an edit that only
// clears content or changes attachments, autocomplete results and modals are
// not checked. Requests answered by an injected fault are not checked (the
// retry is).
func (s *Server) MentionViolations() []MentionViolation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MentionViolation(nil), s.violations...)
}

// WaitFor blocks until a recorded request satisfies match and returns it;
// requests recorded before the call count. match is called once per request,
// in arrival order, without the server's locks held. It fails when ctx ends
// or the server closes first.
func (s *Server) WaitFor(ctx context.Context, match func(Request) bool) (Request, error) {
	next := 0
	var found Request
	err := s.wait(ctx, func() bool {
		s.mu.Lock()
		batch := append([]Request(nil), s.requests[next:]...)
		s.mu.Unlock()
		for _, r := range batch {
			next++
			if match(r) {
				found = r
				return true
			}
		}
		return false
	})
	if err != nil {
		return Request{}, err
	}
	return found, nil
}

// Match returns a WaitFor predicate for requests with the given method (any
// method when empty) whose Path starts with pathPrefix.
func Match(method, pathPrefix string) func(Request) bool {
	return func(r Request) bool {
		return (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix)
	}
}

// record appends a finished request, checks its mentions when asked and wakes
// waiters.
func (s *Server) record(r Request, checkMentions bool) {
	var reason string
	if checkMentions {
		reason = mentionProblem(messagePayload(r))
	}
	s.mu.Lock()
	r.Seq = len(s.requests) + 1
	s.requests = append(s.requests, r)
	if reason != "" {
		s.violations = append(s.violations, MentionViolation{Request: r, Reason: reason})
	}
	s.mu.Unlock()
	if reason != "" && s.cfg.strict != nil {
		s.cfg.strict.Errorf("fakediscord: %s %s: %s", r.Method, r.Path, reason)
	}
	s.notify()
}

// messagePayload returns the part of a request that describes a message: the
// "data" of an interaction callback that creates or updates one, or the
// whole payload otherwise.
func messagePayload(r Request) map[string]any {
	if !strings.HasPrefix(r.Path, "/interactions/") {
		return r.JSON
	}
	typ, _ := r.JSON["type"].(float64)
	switch int(typ) {
	case 4, 5, 6, 7:
		data, _ := r.JSON["data"].(map[string]any)
		return data
	}
	return nil
}

// mentionProblem says why a message payload breaks the empty allowed-mentions
// rule, or returns "" when it keeps it or carries no message.
func mentionProblem(p map[string]any) string {
	if !carriesMessage(p) {
		return ""
	}
	raw, ok := p["allowed_mentions"]
	if !ok || raw == nil {
		return "allowed_mentions missing"
	}
	am, ok := raw.(map[string]any)
	if !ok {
		return fmt.Sprintf("allowed_mentions is %T, want an object", raw)
	}
	parse, ok := am["parse"]
	if !ok {
		return `allowed_mentions has no "parse"`
	}
	list, ok := parse.([]any)
	if !ok {
		return fmt.Sprintf("allowed_mentions.parse is %v, want []", parse)
	}
	if len(list) > 0 {
		return fmt.Sprintf("allowed_mentions.parse is %v, want []", list)
	}
	for _, k := range []string{"users", "roles"} {
		if l, _ := am[k].([]any); len(l) > 0 {
			return fmt.Sprintf("allowed_mentions.%s is %v, want none", k, l)
		}
	}
	if v, _ := am["replied_user"].(bool); v {
		return "allowed_mentions.replied_user is true"
	}
	return ""
}

// carriesMessage reports whether a payload has content, embeds or components.
func carriesMessage(p map[string]any) bool {
	if p == nil {
		return false
	}
	if c, _ := p["content"].(string); c != "" {
		return true
	}
	for _, k := range []string{"embeds", "components"} {
		if l, _ := p[k].([]any); len(l) > 0 {
			return true
		}
	}
	return false
}

// AckLatency returns how long after its dispatch an interaction was
// acknowledged. ok is false when it was not dispatched or not yet
// acknowledged.
func (s *Server) AckLatency(interactionID string) (d time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[interactionID]
	if st == nil || st.dispatchedAt.IsZero() || st.ackedAt.IsZero() {
		return 0, false
	}
	return st.ackedAt.Sub(st.dispatchedAt), true
}

// DispatchedAt returns when DispatchInteraction sent an interaction.
func (s *Server) DispatchedAt(interactionID string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[interactionID]
	if st == nil || st.dispatchedAt.IsZero() {
		return time.Time{}, false
	}
	return st.dispatchedAt, true
}
