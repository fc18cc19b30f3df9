package metrics

import (
	"net/http"
	"strconv"
	"strings"
)

// DiscordTransport wraps base (http.DefaultTransport when nil) so that the
// Discord REST requests going through it are counted: every answer of 400
// or more, and every request that got no answer, in
// newsbot_discord_rest_errors_total; every 429 in
// newsbot_discord_rate_limits_total. Give it to the discordgo Session's
// http.Client.
func (m *Metrics) DiscordTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return discordTransport{m: m, base: base}
}

type discordTransport struct {
	m    *Metrics
	base http.RoundTripper
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// base transport.
func (t discordTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t discordTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	route := discordRoute(r.URL.Path)
	switch {
	case err != nil:
		if r.Context().Err() == nil { // not our own cancellation
			t.m.restErrors.WithLabelValues(route, "network").Inc()
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		scope := strings.ToLower(resp.Header.Get("X-RateLimit-Scope"))
		switch scope {
		case "user", "global", "shared":
		default:
			if resp.Header.Get("X-RateLimit-Global") == "true" {
				scope = "global"
			} else {
				scope = "unknown"
			}
		}
		t.m.rateLimits.WithLabelValues(route, scope).Inc()
	case resp.StatusCode >= 400:
		t.m.restErrors.WithLabelValues(route, strconv.Itoa(resp.StatusCode)).Inc()
	}
	return resp, err
}

// discordRoutes are the first segments of the API paths the bot uses; any
// other is "other", so that the label's values stay few.
var discordRoutes = map[string]bool{
	"applications": true, "channels": true, "gateway": true, "guilds": true,
	"interactions": true, "oauth2": true, "users": true, "webhooks": true,
}

// discordRoute is the first segment of an API path after /api/vN/
// ("webhooks" for /api/v9/webhooks/APP/TOKEN/messages/@original).
func discordRoute(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		return "other"
	}
	if v, after, found := strings.Cut(rest, "/"); found && strings.HasPrefix(v, "v") {
		rest = after
	}
	first, _, _ := strings.Cut(rest, "/")
	if discordRoutes[first] {
		return first
	}
	return "other"
}
