package commands

import (
	"strings"
	"testing"

	"github.com/newsbot/newsbot/internal/fakediscord"
)

// TestRemoveThenAsk ingests an article, removes it with /remove and finds
// it gone: the reply lists what went, /ask no longer cites it, and a
// second /remove, or one by a member, removes nothing.
func TestRemoveThenAsk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	in := fakediscord.CommandInteraction("ingest", map[string]any{"file": e.fake.NewAttachment("zorblax.txt", []byte(ingestArticle))}, admin)
	e.handle(in)
	if c := e.response(in).Content; !strings.Contains(c, "can now be asked about") {
		t.Fatalf("/ingest = %q", c)
	}
	articles := len(e.ix.Articles())

	refused := fakediscord.CommandInteraction("remove", map[string]any{"article": "ingested/zorblax"}, member)
	e.handle(refused)
	if m := e.response(refused); !isEphemeral(m) || !strings.Contains(m.Content, "Only server admins") {
		t.Errorf("/remove by a member = %q", m.Content)
	}
	if len(e.ix.Articles()) != articles {
		t.Fatal("a member's /remove removed something")
	}

	rm := fakediscord.CommandInteraction("remove", map[string]any{"article": "ingested/zorblax"}, admin)
	e.handle(rm)
	m := e.response(rm)
	if !isEphemeral(m) || !strings.Contains(m.Content, "Removed 1 article") || !strings.Contains(m.Content, "`ingested/zorblax`") {
		t.Fatalf("/remove = %q", m.Content)
	}
	if got := ingestedFiles(t, e.corpus); len(got) != 0 {
		t.Errorf("ingested files after /remove: %v", got)
	}
	if n := len(e.ix.Articles()); n != articles-1 {
		t.Errorf("%d articles after /remove, want %d", n, articles-1)
	}
	ask := fakediscord.CommandInteraction("ask", map[string]any{"question": "How many visitors came to the Zorblax festival?"}, member)
	e.handle(ask)
	if c := e.response(ask).Content; strings.Contains(c, "twelve thousand") {
		t.Errorf("the removed article still answers: %q", c)
	}
	again := fakediscord.CommandInteraction("remove", map[string]any{"article": "ingested/zorblax"}, admin)
	e.handle(again)
	if c := e.response(again).Content; !strings.Contains(c, "No article has that ID") {
		t.Errorf("second /remove = %q", c)
	}
}
