package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/backoff"
)

// webhook sends the REST calls made with one interaction's token: its
// callback, edits of the original response, follow-ups, deleting the
// original. It is used instead of discordgo's methods for them because
// discordgo v0.29.0 keys every InteractionResponseEdit, bot-wide, on one
// rate-limit bucket and holds that bucket's lock for the whole round
// trip: with a 300 ms round trip only one edit is ever in flight, so
// concurrent answers stream at a fraction of their pace, and one user's
// 429 stalls every other user's replies. Discord limits these requests per token, so here each token
// (each exchange) has a bucket of its own, kept from the X-RateLimit
// headers, and a 429 (its Retry-After) delays only that token's requests.
// Every wait watches the caller's context, and every attempt has a
// timeout.
//
// It speaks through the session's HTTP client, so the same transport (and,
// in tests, the fake Discord) serves it. Interaction webhooks need no
// authorisation, so the bot token is not sent with them.
type webhook struct {
	client    *http.Client
	userAgent string
	base      string // .../webhooks/{application}/{token}
	token     string

	// sem holds the bucket: one request of this token at a time, in order,
	// which is also what keeps a later edit from overtaking an earlier one.
	sem chan struct{}
	// Guarded by sem.
	remaining int       // requests left in the bucket's window; -1 unknown
	reset     time.Time // when the window ends
}

// Limits of one interaction-webhook call.
const (
	// webhookAttemptTimeout bounds one HTTP round trip.
	webhookAttemptTimeout = 15 * time.Second
	// webhookMaxAttempts bounds the tries of one call: 429s and, for calls
	// that are safe to repeat, a gateway's 502-504 are retried.
	webhookMaxAttempts = 5
	// maxWebhookResponse bounds the body read from Discord.
	maxWebhookResponse = 1 << 20
)

// webhookRetry spaces the retries after a 502-504.
var webhookRetry = backoff.Policy{Base: 250 * time.Millisecond, Max: 2 * time.Second, Jitter: true}

func newWebhook(s *discordgo.Session, i *discordgo.Interaction) *webhook {
	w := &webhook{
		client:    http.DefaultClient,
		userAgent: "DiscordBot (https://github.com/newsbot/newsbot, 1)",
		base:      discordgo.EndpointWebhookToken(i.AppID, i.Token),
		token:     i.Token,
		sem:       make(chan struct{}, 1),
		remaining: -1,
	}
	if s != nil {
		if s.Client != nil {
			w.client = s.Client
		}
		if s.UserAgent != "" {
			w.userAgent = s.UserAgent
		}
	}
	return w
}

// respond posts the interaction's callback (its acknowledgement). It is
// never repeated after a 5xx: the first may have been taken, and a second
// would be refused. It goes through this client rather than discordgo,
// whose rate limiter keeps a bucket for every URL it has seen, forever:
// one per interaction for callbacks.
func (w *webhook) respond(ctx context.Context, interactionID string, resp *discordgo.InteractionResponse) error {
	_, err := w.call(ctx, http.MethodPost, w.callbackURL(interactionID), resp, false)
	return err
}

// callbackURL is the interaction's callback endpoint, beside the token's
// webhook one.
func (w *webhook) callbackURL(interactionID string) string {
	return discordgo.EndpointInteractionResponse(interactionID, w.token)
}

// editOriginal replaces the original response.
func (w *webhook) editOriginal(ctx context.Context, edit *discordgo.WebhookEdit) error {
	_, err := w.call(ctx, http.MethodPatch, w.base+"/messages/@original", edit, true)
	return err
}

// editMessage replaces a follow-up message of the interaction.
func (w *webhook) editMessage(ctx context.Context, id string, edit *discordgo.WebhookEdit) error {
	_, err := w.call(ctx, http.MethodPatch, w.base+"/messages/"+url.PathEscape(id), edit, true)
	return err
}

// original reads the original response: after a deferred update, the
// message the button sits on.
func (w *webhook) original(ctx context.Context) (*discordgo.Message, error) {
	body, err := w.call(ctx, http.MethodGet, w.base+"/messages/@original", nil, true)
	if err != nil {
		return nil, err
	}
	var m discordgo.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode the original response: %w", err)
	}
	return &m, nil
}

// deleteOriginal deletes the original response.
func (w *webhook) deleteOriginal(ctx context.Context) error {
	_, err := w.call(ctx, http.MethodDelete, w.base+"/messages/@original", nil, true)
	return err
}

// followup sends a follow-up message and returns it as Discord stored it.
func (w *webhook) followup(ctx context.Context, params *discordgo.WebhookParams) (*discordgo.Message, error) {
	body, err := w.call(ctx, http.MethodPost, w.base+"?"+url.Values{"wait": {"true"}}.Encode(), params, false)
	if err != nil {
		return nil, err
	}
	var m discordgo.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode follow-up: %w", err)
	}
	return &m, nil
}

// call sends one request on the token's bucket and returns the answer's
// body. A 429 is retried after its Retry-After; a 502, 503 or 504 (a
// gateway in front of Discord failing) is retried with backoff when
// idempotent is set (a follow-up that failed so may still have been
// posted). A 500 is Discord's own failure and returned. Other errors are returned as discordgo's
// *RESTError, so callers read Discord's error code as they would from
// discordgo.
func (w *webhook) call(ctx context.Context, method, rawURL string, data any, idempotent bool) ([]byte, error) {
	var payload []byte
	if data != nil {
		var err error
		if payload, err = discordgo.Marshal(data); err != nil {
			return nil, fmt.Errorf("encode %s request: %w", method, err)
		}
	}
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the interaction's rate limit: %w", ctx.Err())
	}
	defer func() { <-w.sem }()

	var lastErr error
	for attempt := 1; attempt <= webhookMaxAttempts; attempt++ {
		if w.remaining == 0 {
			if err := backoff.Sleep(ctx, time.Until(w.reset)); err != nil {
				return nil, fmt.Errorf("wait for the interaction's rate limit: %w", err)
			}
			w.remaining = -1
		}
		body, resp, err := w.attempt(ctx, method, rawURL, payload)
		if err != nil {
			return nil, err
		}
		w.note(resp.Header)
		switch {
		case resp.StatusCode < 300:
			return body, nil
		case resp.StatusCode == http.StatusTooManyRequests:
			wait := retryAfter(resp.Header, body)
			w.remaining, w.reset = 0, time.Now().Add(wait)
			lastErr = &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{
				TooManyRequests: &discordgo.TooManyRequests{RetryAfter: wait, Message: "You are being rate limited."},
				URL:             rawURL,
			}}
		case transient(resp.StatusCode) && idempotent:
			lastErr = restError(resp, body)
			if err := backoff.Sleep(ctx, webhookRetry.Delay(attempt)); err != nil {
				return nil, lastErr
			}
		default:
			return nil, restError(resp, body)
		}
	}
	return nil, lastErr
}

// attempt makes one round trip, bounded by webhookAttemptTimeout.
func (w *webhook) attempt(ctx context.Context, method, rawURL string, payload []byte) ([]byte, *http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, webhookAttemptTimeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s request: %w", method, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", w.userAgent)
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s interaction webhook: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookResponse))
	if err != nil {
		return nil, nil, fmt.Errorf("read the answer to %s: %w", method, err)
	}
	return data, resp, nil
}

// note keeps the bucket's state from a response's X-RateLimit headers.
func (w *webhook) note(h http.Header) {
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return
	}
	after, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64)
	if err != nil {
		return
	}
	w.remaining = max(rem, 0)
	w.reset = time.Now().Add(seconds(after))
}

// retryAfter reads how long a 429 asks to wait: the body's retry_after
// (seconds, with a fraction), else the Retry-After header (whole seconds),
// else a second; at most a minute, so a bad header cannot park a reply
// for longer than the interaction lives.
func retryAfter(h http.Header, body []byte) time.Duration {
	var tm struct {
		RetryAfter float64 `json:"retry_after"`
	}
	wait := time.Second
	if json.Unmarshal(body, &tm) == nil && tm.RetryAfter > 0 {
		wait = seconds(tm.RetryAfter)
	} else if s, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && s > 0 {
		wait = seconds(s)
	}
	return min(wait, time.Minute)
}

func seconds(s float64) time.Duration {
	if math.IsNaN(s) || s < 0 {
		return 0
	}
	return time.Duration(min(s, 3600) * float64(time.Second))
}

// transient reports whether an HTTP status is a gateway's failure, worth
// a retry.
func transient(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// restError is discordgo's error for an HTTP error answer.
func restError(resp *http.Response, body []byte) error {
	re := &discordgo.RESTError{Request: resp.Request, Response: resp, ResponseBody: body}
	var msg discordgo.APIErrorMessage
	if json.Unmarshal(body, &msg) == nil && (msg.Code != 0 || msg.Message != "") {
		re.Message = &msg
	}
	return re
}

// tokenExpired matches the errors Discord gives once an interaction's
// token is no longer valid: 401 Invalid Webhook Token (50027) after its
// 15 minutes, 404 Unknown Webhook (10015).
func tokenExpired(err error) bool {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil {
		return false
	}
	return re.Message.Code == 50027 || re.Message.Code == 10015
}
