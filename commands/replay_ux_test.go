package commands

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestRealMenuAndAutocompletePayloads replays a message menu command and
// an autocomplete as Discord sends them, over the gateway and signed to
// the HTTP endpoint: the check answers privately with the passages and
// Share, the autocomplete with the outlet typed.
func TestRealMenuAndAutocompletePayloads(t *testing.T) {
	t.Parallel()
	check := fakediscord.Payload(t, "check_message.json")
	complete := fakediscord.Payload(t, "autocomplete_outlet.json")
	verify := func(t *testing.T, e *env) {
		t.Helper()
		var m *discordgo.Message
		waitFor(t, func() bool {
			var ok bool
			m, ok = e.fake.OriginalResponse(tokenOf(t, check))
			return ok && hasShare(m)
		})
		if !isEphemeral(m) || len(m.Embeds) != 2 || !strings.Contains(m.Content, "by Bob") ||
			!strings.Contains(m.Embeds[0].Description, "`000_e22c96a855d117b2#1`") || !strings.Contains(m.Embeds[1].Description, "`000_e22c96a855d117b2#2`") {
			t.Errorf("check = %q %+v", m.Content, m.Embeds)
		}
		var cs []*discordgo.ApplicationCommandOptionChoice
		waitFor(t, func() bool {
			var ok bool
			cs, ok = e.fake.AutocompleteChoices("1293838513830137942")
			return ok
		})
		if len(cs) != 1 || cs[0].Value != "Tasnim News Agency" {
			t.Errorf("autocomplete = %+v", cs)
		}
	}

	t.Run("gateway", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOptions{open: true})
		e.register()
		for _, p := range [][]byte{check, complete} {
			if err := e.fake.DispatchRaw(p); err != nil {
				t.Fatal(err)
			}
		}
		verify(t, e)
	})

	t.Run("http", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOptions{})
		e.register()
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(e.router.Endpoint(pub, e.ds, nil))
		t.Cleanup(srv.Close)
		for _, p := range [][]byte{check, complete} {
			status, body, err := e.fake.PostInteraction(ctxFor(t, 5*time.Second), srv.URL+"/interactions", p, priv)
			if err != nil || status != http.StatusOK {
				t.Fatalf("%d %s %v", status, body, err)
			}
		}
		verify(t, e)
	})
}
