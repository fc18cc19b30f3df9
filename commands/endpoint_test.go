package commands

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// signedEndpoint is the router's HTTP interactions endpoint on a test
// server, with a client that signs requests as Discord does.
type signedEndpoint struct {
	t    *testing.T
	e    *env
	url  string
	priv ed25519.PrivateKey
	now  time.Time
}

// newSignedEndpoint serves e's router at POST /interactions. Its clock is
// fixed at the time requests are signed with.
func newSignedEndpoint(t *testing.T, e *env) *signedEndpoint {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	se := &signedEndpoint{t: t, e: e, priv: priv, now: time.Now()}
	srv := httptest.NewServer(e.router.Endpoint(pub, e.ds, func() time.Time { return se.now }))
	t.Cleanup(srv.Close)
	se.url = srv.URL + "/interactions"
	return se
}

// post sends i, signed, and returns the HTTP status and the decoded
// response. When relay is set, the response is also handed to the fake as
// the interaction's callback before the bot can go on, as Discord does with
// the response to a request it sent; a replay sent by someone else is
// answered to them only.
func (se *signedEndpoint) post(i *discordgo.Interaction, relay bool) (int, *discordgo.InteractionResponse) {
	se.t.Helper()
	body, err := json.Marshal(i)
	if err != nil {
		se.t.Fatal(err)
	}
	return se.postBody(body, i, relay)
}

func (se *signedEndpoint) postBody(body []byte, i *discordgo.Interaction, relay bool) (int, *discordgo.InteractionResponse) {
	se.t.Helper()
	stamp := strconv.FormatInt(se.now.Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, se.url, bytes.NewReader(body))
	if err != nil {
		se.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", stamp)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(se.priv, append([]byte(stamp), body...))))
	if relay {
		// The bot's webhook calls for this interaction wait until the
		// fake has the response, as real Discord only knows the
		// interaction once it has read it.
		se.e.gate.hold(i.Token)
		defer se.e.gate.release(i.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		se.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		se.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var ir discordgo.InteractionResponse
	if err := json.Unmarshal(got, &ir); err != nil {
		se.t.Fatalf("response %s: %v", got, err)
	}
	if relay {
		url := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", se.e.fake.URL(), i.ID, i.Token)
		cb, err := se.e.fake.HTTPClient().Post(url, "application/json", bytes.NewReader(got))
		if err != nil {
			se.t.Fatal(err)
		}
		cb.Body.Close()
		if cb.StatusCode != http.StatusNoContent {
			se.t.Fatalf("the fake refused the relayed response %s: %s", got, cb.Status)
		}
	}
	return resp.StatusCode, &ir
}

// TestReplayedRequestsDoNothing sends each of a signed vote and a signed
// /reindex three times, as someone who captured them would: the first is
// handled, the replays are answered with responses that do nothing, and
// there is one vote and one reindex.
func TestReplayedRequestsDoNothing(t *testing.T) {
	t.Parallel()
	counter := &countingIndexer{}
	e := newEnv(t, envOptions{config: func(c *Config) {
		counter.Indexer = c.Indexer
		c.Indexer = counter
	}})
	m := askedAnswer(t, e)
	se := newSignedEndpoint(t, e)
	vote := fakediscord.ComponentInteraction(idVoteUp, m, member)
	reindex := fakediscord.CommandInteraction("reindex", nil, admin)
	for _, i := range []*discordgo.Interaction{vote, reindex} {
		for n := range 3 {
			status, resp := se.post(i, n == 0)
			if status != http.StatusOK || resp == nil {
				t.Fatalf("request %d: %d", n, status)
			}
			if n == 0 {
				continue
			}
			if i.Type == discordgo.InteractionMessageComponent && resp.Type != discordgo.InteractionResponseDeferredMessageUpdate ||
				i.Type == discordgo.InteractionApplicationCommand && (resp.Type != discordgo.InteractionResponseChannelMessageWithSource || resp.Data.Flags&discordgo.MessageFlagsEphemeral == 0) {
				t.Errorf("replay %d answered %+v, want a response that does nothing", n, resp)
			}
		}
	}
	if err := e.router.Shutdown(ctxFor(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := len(feedbackLines(t, e.router.cfg.FeedbackLog)); n != 1 {
		t.Errorf("%d votes recorded, want 1", n)
	}
	if n := counter.count(); n != 1 {
		t.Errorf("%d reindexes ran, want 1", n)
	}
	if n := strings.Count(e.log.String(), "ignored a replayed request"); n != 4 {
		t.Errorf("%d replays logged, want 4", n)
	}
}

// TestReplayWindowForgets checks that an interaction is remembered until
// its timestamp is too old to pass, and forgotten after.
func TestReplayWindowForgets(t *testing.T) {
	w := &replayWindow{until: map[string]time.Time{}}
	t0 := time.Unix(1_700_000_000, 0)
	if !w.first("a", t0.Add(maxTimestampSkew), t0) || w.first("a", t0.Add(maxTimestampSkew), t0.Add(time.Minute)) {
		t.Fatal("a replay within the window was accepted")
	}
	for n := range 100 {
		w.first(fmt.Sprint(n), t0.Add(maxTimestampSkew), t0)
	}
	if !w.first("later", t0.Add(20*time.Minute), t0.Add(10*time.Minute)) || len(w.until) != 1 {
		t.Errorf("%d IDs remembered after their window, want only the new one", len(w.until))
	}
}
