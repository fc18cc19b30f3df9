package commands

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Limits of the HTTP interactions endpoint.
const (
	// MaxInteractionBytes bounds a request body; Discord's interactions
	// are a few kilobytes.
	MaxInteractionBytes = 1 << 20
	// maxTimestampSkew is how far a request's signed timestamp may be from
	// now: an older request, even correctly signed, is a replay.
	maxTimestampSkew = 5 * time.Minute
	// ackTimeout is how long the endpoint waits for a handler's first
	// response; Discord gives up after 3 seconds.
	ackTimeout = 3 * time.Second
)

// Endpoint returns Discord's interactions endpoint (POST /interactions)
// for the router, the HTTP transport of interactions: it checks each
// request's signature (by the application's public key) and age, answers
// PINGs, and hands commands and components to HandleHTTP, whose first
// response becomes the HTTP response; edits and follow-ups go through s's
// REST methods. now is the clock of the age check (time.Now when nil).
//
// A signed request stays valid for as long as its timestamp is fresh, so
// the endpoint remembers the interactions it has accepted for that long: a
// replay of one does nothing (see replayResponse). That memory is the
// endpoint's only state; with replicas, each remembers its own, and the
// Config.ReplayGuard they share, when there is one, remembers them all.
// Every refusal is told to Config.Observer (Rejected).
func (r *Router) Endpoint(key ed25519.PublicKey, s *discordgo.Session, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	mux := http.NewServeMux()
	mux.Handle("POST /interactions", &interactionsEndpoint{key: key, router: r, ds: s, log: r.log, now: now,
		seen: &replayWindow{until: map[string]time.Time{}}})
	return mux
}

// interactionsEndpoint is the handler Endpoint returns.
type interactionsEndpoint struct {
	key    ed25519.PublicKey
	router *Router
	ds     *discordgo.Session // REST only: edits and follow-ups
	log    *slog.Logger
	now    func() time.Time
	seen   *replayWindow
}

// ServeHTTP handles one interaction request.
func (e *interactionsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInteractionBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e.refuse(w, "too_large", "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		e.refuse(w, "unreadable", "cannot read the request", http.StatusBadRequest)
		return
	}
	// The signature covers the timestamp and the body; VerifyInteraction
	// doesn't check the timestamp's age, which stops replays.
	if !e.freshTimestamp(r.Header.Get("X-Signature-Timestamp")) {
		e.log.Debug("interactions: refused a request with a missing or stale timestamp", "remote", r.RemoteAddr)
		e.refuse(w, "stale_timestamp", "invalid request signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !discordgo.VerifyInteraction(r, e.key) {
		e.log.Debug("interactions: refused a request with a bad signature", "remote", r.RemoteAddr)
		e.refuse(w, "bad_signature", "invalid request signature", http.StatusUnauthorized)
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		e.refuse(w, "malformed", "malformed interaction", http.StatusBadRequest)
		return
	}
	if i.Type == discordgo.InteractionPing {
		writeInteractionResponse(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	}
	// Only now, once the request is known to come from Discord, so that
	// nobody else can make the endpoint forget or ignore an interaction.
	// The wait for the first response is bounded, the replay check
	// included; the handler's work outlives this request (the router runs
	// it under its own context).
	ctx, cancel := context.WithTimeout(r.Context(), ackTimeout)
	defer cancel()
	sec, _ := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	if !e.router.firstSeen(ctx, e.seen, i.ID, time.Unix(sec, 0).Add(maxTimestampSkew), e.now()) {
		e.log.Warn("interactions: ignored a replayed request", "interaction", i.ID, "remote", r.RemoteAddr)
		e.rejected("replay", http.StatusOK)
		writeInteractionResponse(w, replayResponse(&i))
		return
	}
	err = e.router.HandleHTTP(ctx, e.ds, &i, func(resp *discordgo.InteractionResponse) error {
		return writeInteractionResponse(w, resp)
	})
	switch {
	case errors.Is(err, ErrNoResponse):
		e.refuse(w, "unsupported", "unsupported interaction type", http.StatusBadRequest)
	case err != nil && ctx.Err() != nil:
		// Nothing was written: Discord tells the user the bot didn't
		// respond.
		e.refuse(w, "no_response", "no response in time", http.StatusServiceUnavailable)
	}
}

// refuse answers a request with an HTTP error and tells the observer.
func (e *interactionsEndpoint) refuse(w http.ResponseWriter, reason, text string, status int) {
	e.rejected(reason, status)
	http.Error(w, text, status)
}

func (e *interactionsEndpoint) rejected(reason string, status int) {
	if o := e.router.cfg.Observer; o != nil {
		o.Rejected(reason, status)
	}
}

// replayResponse is the answer to a request for an interaction that was
// already handled: a well-formed response that does nothing. Discord never
// sends one twice, so only whoever replayed it reads this.
func replayResponse(i *discordgo.Interaction) *discordgo.InteractionResponse {
	if i.Type == discordgo.InteractionMessageComponent {
		// Acknowledges and leaves the message as it is.
		return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: message{Content: "That request was already handled.", Ephemeral: true}.responseData()}
}

// replayWindow remembers the IDs of the interactions accepted, each until
// its signed timestamp is too old to be accepted again.
type replayWindow struct {
	// mu guards the fields below.
	mu    sync.Mutex
	until map[string]time.Time // interaction ID -> when it may be forgotten
	order []string             // the IDs in until, oldest first, for forgetting
}

// first records id as seen until the given time and reports whether it is
// the first time it was seen. It forgets the IDs whose time has passed.
func (w *replayWindow) first(id string, until, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.order) > 0 && !w.until[w.order[0]].After(now) {
		delete(w.until, w.order[0])
		w.order = w.order[1:]
	}
	if _, ok := w.until[id]; ok {
		return false
	}
	w.until[id] = until
	w.order = append(w.order, id)
	return true
}

// freshTimestamp reports whether a request's X-Signature-Timestamp (Unix
// seconds) is within maxTimestampSkew of now.
func (e *interactionsEndpoint) freshTimestamp(h string) bool {
	sec, err := strconv.ParseInt(h, 10, 64)
	if err != nil {
		return false
	}
	d := e.now().Sub(time.Unix(sec, 0))
	return d <= maxTimestampSkew && d >= -maxTimestampSkew
}

// writeInteractionResponse writes resp as the HTTP response. A response
// with a message always carries empty allowed mentions.
func writeInteractionResponse(w http.ResponseWriter, resp *discordgo.InteractionResponse) error {
	if d := resp.Data; d != nil && d.AllowedMentions == nil {
		d.AllowedMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		http.Error(w, "cannot encode the response", http.StatusInternalServerError)
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}
