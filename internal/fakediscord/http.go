package fakediscord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// PostInteraction plays Discord's side of the HTTP interactions transport:
// it sends payload (an interaction as Discord sends it) to the bot's
// endpoint URL, signed with key as Discord signs it (Ed25519 over the
// X-Signature-Timestamp and the body), and takes a 200 answer's body as
// the interaction's callback, as Discord does: the fake applies it as if
// the bot had posted it to /interactions/{id}/{token}/callback (validated,
// recorded and checked for mentions like one). A PING's PONG needs no
// applying. Webhook requests on the interaction's token (the bot's edits,
// which may set off before its HTTP answer arrives) wait until the
// callback is applied, as on Discord.
//
// It returns the endpoint's status and body. Like Discord, it gives the
// endpoint 3 seconds.
func (s *Server) PostInteraction(ctx context.Context, endpoint string, payload []byte, key ed25519.PrivateKey) (int, []byte, error) {
	var head struct {
		ID    string `json:"id"`
		Token string `json:"token"`
		Type  int    `json:"type"`
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(payload, &head); err != nil {
		return 0, nil, fmt.Errorf("fakediscord: decode interaction: %w", err)
	}
	if err := json.Unmarshal(payload, &i); err != nil {
		return 0, nil, fmt.Errorf("fakediscord: decode interaction: %w", err)
	}
	s.Track(&i) // so that its callback must suit its type
	applied := make(chan struct{})
	s.mu.Lock()
	s.httpPending[head.Token] = applied
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.httpPending, head.Token)
		s.mu.Unlock()
		close(applied)
	}()

	ctx, cancel := context.WithTimeout(ctx, DefaultAckDeadline)
	defer cancel()
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, fmt.Errorf("fakediscord: interaction request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	req.Header.Set("X-Signature-Timestamp", stamp)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, append([]byte(stamp), payload...))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("fakediscord: post the interaction: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("fakediscord: read the endpoint's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK || head.Type == 1 {
		return resp.StatusCode, body, nil
	}
	url := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", s.URL(), head.ID, head.Token)
	cb, err := s.HTTPClient().Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("fakediscord: apply the callback: %w", err)
	}
	cbBody, _ := io.ReadAll(cb.Body)
	cb.Body.Close()
	if cb.StatusCode != http.StatusNoContent {
		return resp.StatusCode, body, fmt.Errorf("fakediscord: the callback %s was refused: %s %s", body, cb.Status, cbBody)
	}
	return resp.StatusCode, body, nil
}

// awaitHTTPCallback holds a webhook request on a token whose HTTP
// interaction's callback is not applied yet; it reports false when the
// client gave up or the server closed first.
func (s *Server) awaitHTTPCallback(r *http.Request, token string) bool {
	s.mu.Lock()
	applied := s.httpPending[token]
	s.mu.Unlock()
	if applied == nil {
		return true
	}
	select {
	case <-applied:
		return true
	case <-r.Context().Done():
	case <-s.closed:
	}
	return false
}
