package fakediscord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody is Discord's upload limit for a request without boosts.
const maxBody = 25 << 20

// route is one REST endpoint. Its pattern is the path's segments after the
// API prefix; "*" matches any one segment and is passed to the handler.
type route struct {
	method  string
	pattern string
	api     bool // under /api/vN
	auth    bool // needs "Authorization: Bot ..."
	message bool // creates or edits a message: checked for allowed mentions
	handle  func(s *Server, c *call) reply
}

// call is a request being handled.
type call struct {
	r    *http.Request
	req  *Request
	vars []string
}

// reply is what a handler answers.
type reply struct {
	status      int
	header      http.Header
	body        any    // encoded as JSON when not nil
	raw         []byte // written as is, with contentType, when not nil
	contentType string
}

func jsonReply(status int, body any) reply { return reply{status: status, body: body} }

func noContent() reply { return reply{status: http.StatusNoContent} }

// errorReply is Discord's JSON error body.
func errorReply(status, code int, msg string) reply {
	return jsonReply(status, map[string]any{"message": msg, "code": code})
}

// fieldError is one invalid field of a form, named by its JSON path.
type fieldError struct {
	field, code, message string
}

// formError is Discord's 400 "Invalid Form Body" with per-field errors.
// As in Discord's answers, the errors object nests by the field's path
// ("embeds.0.description" is {"embeds": {"0": {"description": {"_errors":
// [...]}}}}); "_root" names the body itself.
func formError(errs []fieldError) reply {
	detail := map[string]any{}
	for _, e := range errs {
		node := detail
		if e.field != "_root" {
			for _, part := range strings.Split(e.field, ".") {
				child, ok := node[part].(map[string]any)
				if !ok {
					child = map[string]any{}
					node[part] = child
				}
				node = child
			}
		}
		list, _ := node["_errors"].([]any)
		node["_errors"] = append(list, map[string]any{"code": e.code, "message": e.message})
	}
	return jsonReply(http.StatusBadRequest, map[string]any{
		"message": "Invalid Form Body",
		"code":    50035,
		"errors":  detail,
	})
}

func routes() []route {
	return []route{
		{method: "GET", pattern: "gateway", api: true, handle: (*Server).handleGateway},
		{method: "GET", pattern: "gateway/bot", api: true, auth: true, handle: (*Server).handleGatewayBot},
		{method: "GET", pattern: "users/@me", api: true, auth: true, handle: (*Server).handleMe},
		{method: "GET", pattern: "applications/@me", api: true, auth: true, handle: (*Server).handleApplication},
		{method: "GET", pattern: "oauth2/applications/@me", api: true, auth: true, handle: (*Server).handleApplication},

		{method: "GET", pattern: "applications/*/commands", api: true, auth: true, handle: (*Server).handleCommandList},
		{method: "PUT", pattern: "applications/*/commands", api: true, auth: true, handle: (*Server).handleCommandOverwrite},
		{method: "POST", pattern: "applications/*/commands", api: true, auth: true, handle: (*Server).handleCommandCreate},
		{method: "GET", pattern: "applications/*/commands/*", api: true, auth: true, handle: (*Server).handleCommandGet},
		{method: "PATCH", pattern: "applications/*/commands/*", api: true, auth: true, handle: (*Server).handleCommandEdit},
		{method: "DELETE", pattern: "applications/*/commands/*", api: true, auth: true, handle: (*Server).handleCommandDelete},
		{method: "GET", pattern: "applications/*/guilds/*/commands", api: true, auth: true, handle: (*Server).handleCommandList},
		{method: "PUT", pattern: "applications/*/guilds/*/commands", api: true, auth: true, handle: (*Server).handleCommandOverwrite},
		{method: "POST", pattern: "applications/*/guilds/*/commands", api: true, auth: true, handle: (*Server).handleCommandCreate},
		{method: "GET", pattern: "applications/*/guilds/*/commands/*", api: true, auth: true, handle: (*Server).handleCommandGet},
		{method: "PATCH", pattern: "applications/*/guilds/*/commands/*", api: true, auth: true, handle: (*Server).handleCommandEdit},
		{method: "DELETE", pattern: "applications/*/guilds/*/commands/*", api: true, auth: true, handle: (*Server).handleCommandDelete},

		{method: "POST", pattern: "interactions/*/*/callback", api: true, message: true, handle: (*Server).handleCallback},
		{method: "POST", pattern: "webhooks/*/*", api: true, message: true, handle: (*Server).handleWebhookExecute},
		{method: "GET", pattern: "webhooks/*/*/messages/*", api: true, handle: (*Server).handleWebhookMessageGet},
		{method: "PATCH", pattern: "webhooks/*/*/messages/*", api: true, message: true, handle: (*Server).handleWebhookMessageEdit},
		{method: "DELETE", pattern: "webhooks/*/*/messages/*", api: true, handle: (*Server).handleWebhookMessageDelete},

		{method: "GET", pattern: "channels/*", api: true, auth: true, handle: (*Server).handleChannel},
		{method: "POST", pattern: "channels/*/typing", api: true, auth: true, handle: (*Server).handleTyping},
		{method: "POST", pattern: "channels/*/messages", api: true, auth: true, message: true, handle: (*Server).handleChannelMessageCreate},
		{method: "GET", pattern: "channels/*/messages/*", api: true, auth: true, handle: (*Server).handleChannelMessageGet},
		{method: "PATCH", pattern: "channels/*/messages/*", api: true, auth: true, message: true, handle: (*Server).handleChannelMessageEdit},
		{method: "DELETE", pattern: "channels/*/messages/*", api: true, auth: true, handle: (*Server).handleChannelMessageDelete},
		{method: "POST", pattern: "channels/*/messages/*/threads", api: true, auth: true, handle: (*Server).handleThreadStart},

		{method: "GET", pattern: "attachments/*/*", handle: (*Server).handleAttachment},
	}
}

// matchPattern matches path segments against a pattern, returning the
// segments that matched "*".
func matchPattern(pattern string, segs []string) ([]string, bool) {
	pat := strings.Split(pattern, "/")
	if len(pat) != len(segs) {
		return nil, false
	}
	var vars []string
	for i, p := range pat {
		switch {
		case p == "*":
			if segs[i] == "" {
				return nil, false
			}
			vars = append(vars, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return vars, true
}

// splitAPIPath strips "/api/vN" (or "/api") from a path and reports whether
// it was an API path.
func splitAPIPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/api/")
	if !ok {
		return p, false
	}
	if v, after, found := strings.Cut(rest, "/"); found && len(v) > 1 && v[0] == 'v' {
		if _, err := strconv.Atoi(v[1:]); err == nil {
			return "/" + after, true
		}
	}
	return "/" + rest, true
}

// serveREST records, delays, faults or routes one REST request.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path, isAPI := splitAPIPath(r.URL.Path)
	req := Request{
		Time:   time.Now(),
		Method: r.Method,
		Host:   r.Host,
		Path:   path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	req.Body = body
	rep, check := s.prepare(r, &req, isAPI, err)
	if rep.status == 0 {
		// The client gave up or the server closed during a delay: drop the
		// connection without an answer.
		panic(http.ErrAbortHandler)
	}
	req.Status = rep.status
	s.record(req, check)
	writeReply(w, rep, isAPI)
}

// prepare computes the reply to a request and whether its payload is to be
// checked for allowed mentions. A zero reply means the request was recorded
// without an answer.
func (s *Server) prepare(r *http.Request, req *Request, isAPI bool, readErr error) (reply, bool) {
	switch {
	case readErr != nil:
		return errorReply(http.StatusBadRequest, 0, "could not read body"), false
	case len(req.Body) > maxBody:
		return errorReply(http.StatusRequestEntityTooLarge, 40005, "Request entity too large"), false
	}
	if err := parsePayload(r.Header.Get("Content-Type"), req); err != nil {
		return errorReply(http.StatusBadRequest, 50109, "The request body contains invalid JSON."), false
	}
	segs := strings.Split(strings.Trim(req.Path, "/"), "/")
	if isAPI && len(segs) >= 3 && (segs[0] == "interactions" || segs[0] == "webhooks") {
		s.noteInteraction(req, segs)
	}
	if isAPI && len(segs) >= 3 && segs[0] == "webhooks" && !s.awaitHTTPCallback(r, segs[2]) {
		s.record(*req, false)
		return reply{}, false
	}

	if d := s.delayFor(req.Method, req.Path) + s.currentLatency(); d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			s.record(*req, false)
			return reply{}, false
		case <-s.closed:
			s.record(*req, false)
			return reply{}, false
		}
	}
	if f := s.takeFault(req.Method, req.Path); f != nil {
		return faultReply(f), false
	}
	var limitHeader http.Header
	if isAPI {
		h, wait, ok := s.takeBucket(req.Method, segs, time.Now())
		if ok && wait > 0 {
			return tooManyRequests(h, wait, "user"), false
		}
		limitHeader = h
	}
	rep, check := s.route(r, req, segs, isAPI)
	if limitHeader != nil {
		if rep.header == nil {
			rep.header = http.Header{}
		}
		for k, v := range limitHeader {
			rep.header[k] = v
		}
	}
	return rep, check
}

// currentLatency is the round-trip delay of every request.
func (s *Server) currentLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// route finds the handler of a request and calls it.
func (s *Server) route(r *http.Request, req *Request, segs []string, isAPI bool) (reply, bool) {

	pathMatched := false
	for _, rt := range s.routes {
		if rt.api != isAPI {
			continue
		}
		vars, ok := matchPattern(rt.pattern, segs)
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method != req.Method {
			continue
		}
		if rt.auth && !strings.HasPrefix(req.Header.Get("Authorization"), "Bot ") {
			return errorReply(http.StatusUnauthorized, 0, "401: Unauthorized"), false
		}
		return rt.handle(s, &call{r: r, req: req, vars: vars}), rt.message
	}
	if pathMatched {
		return errorReply(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed"), false
	}
	return errorReply(http.StatusNotFound, 0, "404: Not Found"), false
}

// noteInteraction fills a request's interaction ID and token from its path.
func (s *Server) noteInteraction(req *Request, segs []string) {
	if segs[0] == "interactions" {
		req.InteractionID, req.InteractionToken = segs[1], segs[2]
		return
	}
	req.InteractionToken = segs[2]
	s.mu.Lock()
	if st := s.byToken[segs[2]]; st != nil {
		req.InteractionID = st.id
	}
	s.mu.Unlock()
}

// parsePayload decodes a JSON or multipart body into req.
func parsePayload(contentType string, req *Request) error {
	if len(req.Body) == 0 {
		return nil
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = "application/json"
	}
	payload := req.Body
	if media == "multipart/form-data" {
		payload = nil
		mr := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("read multipart: %w", err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return fmt.Errorf("read part %s: %w", part.FormName(), err)
			}
			if part.FormName() == "payload_json" {
				payload = data
				continue
			}
			req.Files = append(req.Files, File{
				Field:       part.FormName(),
				Name:        part.FileName(),
				ContentType: part.Header.Get("Content-Type"),
				Data:        data,
			})
		}
	}
	if len(payload) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	switch v := v.(type) {
	case map[string]any:
		req.JSON = v
	case []any:
		req.JSONList = v
	}
	return nil
}

func writeReply(w http.ResponseWriter, rep reply, isAPI bool) {
	h := w.Header()
	for k, vs := range rep.header {
		h[k] = vs
	}
	if isAPI && rep.header.Get("X-RateLimit-Limit") == "" {
		// A generous bucket, so discordgo's limiter never waits on the fake.
		h.Set("X-RateLimit-Limit", "50")
		h.Set("X-RateLimit-Remaining", "49")
		h.Set("X-RateLimit-Reset-After", "1.000")
		h.Set("X-RateLimit-Bucket", "fake")
	}
	switch {
	case rep.contentType != "":
		h.Set("Content-Type", rep.contentType)
		h.Set("Content-Length", strconv.Itoa(len(rep.raw)))
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.raw)
	case rep.body != nil && rep.status != http.StatusNoContent:
		data, err := json.Marshal(rep.body)
		if err != nil {
			data = []byte(`{"message":"fakediscord: encode reply","code":0}`)
			rep.status = http.StatusInternalServerError
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		_, _ = w.Write(data)
	default:
		w.WriteHeader(rep.status)
	}
}

func (s *Server) handleGateway(*call) reply {
	return jsonReply(http.StatusOK, map[string]any{"url": s.GatewayURL()})
}

func (s *Server) handleGatewayBot(*call) reply {
	return jsonReply(http.StatusOK, map[string]any{
		"url":    s.GatewayURL(),
		"shards": s.cfg.recommend,
		"session_start_limit": map[string]any{
			"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1,
		},
	})
}

func (s *Server) handleMe(*call) reply {
	return jsonReply(http.StatusOK, botUser())
}

func (s *Server) handleApplication(*call) reply {
	return jsonReply(http.StatusOK, map[string]any{
		"id":          AppID,
		"name":        BotUsername,
		"description": "",
		"bot_public":  false,
		"verify_key":  strings.Repeat("0", 64),
		"flags":       0,
		"bot":         botUser(),
	})
}

func (s *Server) handleChannel(c *call) reply {
	s.mu.Lock()
	t, isThread := s.threads[c.vars[0]]
	var rep reply
	if isThread {
		rep = jsonReply(http.StatusOK, json.RawMessage(mustJSON(t)))
	}
	s.mu.Unlock()
	if isThread {
		return rep
	}
	return jsonReply(http.StatusOK, map[string]any{
		"id":                    c.vars[0],
		"type":                  0,
		"guild_id":              GuildID,
		"name":                  "general",
		"position":              0,
		"permission_overwrites": []any{},
		"nsfw":                  false,
	})
}

func (s *Server) handleTyping(*call) reply { return noContent() }

func (s *Server) handleAttachment(c *call) reply {
	s.mu.Lock()
	a, ok := s.attachments[c.vars[0]]
	s.mu.Unlock()
	if !ok {
		return errorReply(http.StatusNotFound, 0, "404: Not Found")
	}
	return reply{status: http.StatusOK, raw: a.data, contentType: a.contentType}
}
