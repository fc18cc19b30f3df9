package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
)

// tinyArticles is a JSON Lines file of n one-word articles: 557,000 of
// them make the 10 MiB upload that cost 25 s and 2.7 GB to index.
func tinyArticles(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "{\"text\":\"a%05d\"}\n", i%100000)
	}
	return b.Bytes()
}

// TestCapDefaultsAreTheIndexs: the defaults of the index.max_* settings
// are the ones retrieval applies on its own, so docs/deploy.md, bot config
// and the library say the same.
func TestCapDefaultsAreTheIndexs(t *testing.T) {
	cfg, err := config.Load(nil, func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &cli{cfg: cfg}
	if got, want := c.loadOptions(), (article.Options{}).Limits(); got != want {
		t.Errorf("load caps %+v, the loader's defaults %+v", got, want)
	}
	if cfg.Index.MaxPassagesPerArticle != retrieval.DefaultMaxPassagesPerArticle || cfg.Index.MaxPassages != retrieval.DefaultMaxPassages {
		t.Errorf("passage caps %d and %d, retrieval's %d and %d", cfg.Index.MaxPassagesPerArticle, cfg.Index.MaxPassages,
			retrieval.DefaultMaxPassagesPerArticle, retrieval.DefaultMaxPassages)
	}
	if cfg.Index.LockWait != retrieval.DefaultLockWait {
		t.Errorf("lock wait %v, retrieval's %v", cfg.Index.LockWait, retrieval.DefaultLockWait)
	}
}

// TestIndexSkips557kArticles: `bot index` on a corpus holding the
// 557,000-article file skips it, saying which cap it hit, and indexes the
// rest; alone, the file leaves nothing to index and the error says why.
// A cap set in the environment applies.
func TestIndexSkips557kArticles(t *testing.T) {
	corpus := copySeeds(t)
	writeFile(t, filepath.Join(corpus, "tiny.jsonl"), tinyArticles(557_000))
	env := map[string]string{"NEWSBOT_DATA": t.TempDir(), "NEWSBOT_CORPUS": corpus}
	start := time.Now()
	out, errs, err := runBot(t, env, "index")
	t.Logf("bot index with the 557,000-article file: %v", time.Since(start))
	if err != nil {
		t.Fatalf("index: %v\n%s", err, errs)
	}
	if !strings.Contains(out, "skipped tiny.jsonl: over the limit of 10,000 articles per file (the file holds 557,000)") || strings.Contains(out, " 0 articles") {
		t.Errorf("summary:\n%s", out)
	}

	alone := t.TempDir()
	writeFile(t, filepath.Join(alone, "tiny.jsonl"), tinyArticles(557_000))
	_, errs, err = runBot(t, map[string]string{"NEWSBOT_DATA": t.TempDir()}, "index", "-corpus", alone)
	if err == nil || !strings.Contains(err.Error(), "no articles found") || !strings.Contains(errs, "over the limit of 10,000 articles per file") {
		t.Errorf("index of the file alone: %v\n%s", err, errs)
	}

	env["NEWSBOT_MAX_ARTICLES_PER_FILE"] = "50"
	writeFile(t, filepath.Join(corpus, "feed.jsonl"), tinyArticles(100))
	out, errs, err = runBot(t, env, "index")
	if err != nil || !strings.Contains(out, "skipped feed.jsonl: over the limit of 50 articles per file (the file holds 100)") {
		t.Errorf("with NEWSBOT_MAX_ARTICLES_PER_FILE=50: %v\n%s%s", err, out, errs)
	}
}

// TestIngestOverACapIsRefusedNamingIt: /ingest of the 557,000-article file
// through a running bot gets a private reply naming the cap, and nothing
// is saved.
func TestIngestOverACapIsRefusedNamingIt(t *testing.T) {
	corpus := copySeeds(t)
	s := startServe(t, map[string]string{
		"DISCORD_TOKEN":       "test-token",
		"DISCORD_GUILD_ID":    fakediscord.GuildID,
		"NEWSBOT_ADMIN_ROLES": "777",
		"NEWSBOT_OFFLINE":     "1",
		"NEWSBOT_DATA":        t.TempDir(),
		"NEWSBOT_CORPUS":      corpus,
	})
	i := fakediscord.CommandInteraction("ingest", map[string]any{"file": s.fake.NewAttachment("tiny.jsonl", tinyArticles(557_000))},
		fakediscord.UserSpec{Username: "mod", Roles: []string{"777"}})
	start := time.Now()
	m := s.dispatch(i, 30*time.Second, func(m *discordgo.Message) bool { return strings.Contains(m.Content, "nothing was saved") })
	t.Logf("/ingest of the 557,000-article file answered in %v", time.Since(start))
	if want := "That file is over the bot's limit of 10,000 articles per file, so nothing was saved."; m.Content != want {
		t.Errorf("reply %q, want %q", m.Content, want)
	}
	if _, err := os.Stat(filepath.Join(corpus, "ingested", "tiny.jsonl")); !os.IsNotExist(err) {
		t.Errorf("the refused file was saved: %v", err)
	}
}
