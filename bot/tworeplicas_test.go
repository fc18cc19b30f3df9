package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/retrieval"
)

// TestTwoReplicas runs two "bot serve -http" replicas, A and B, on one
// PostgreSQL, talking to them as Discord would: an /ingest on A is
// answerable on B within 5 s; a /reindex on B (an import of its folder)
// never removes A's article; A killed (SIGKILL) in the middle of an
// ingest leaves B serving a consistent corpus, and the store writable; a
// full rebuild on A never makes a search on B wait.
func TestTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and a child process")
	}
	c := newCluster(t)
	a := c.start("A", replicaConfig{})
	b := c.start("B", replicaConfig{})
	db := c.admin()
	admin := fakediscord.UserSpec{Username: "root", Admin: true}
	member := fakediscord.UserSpec{Username: "alice"}

	t.Run("ingest on A is answerable on B", func(t *testing.T) {
		file := c.Fake.NewAttachment("zorblax.txt", []byte(ingestArticle))
		// B is watched from the moment the /ingest is sent to A.
		sent := time.Now()
		onB := make(chan time.Duration, 1)
		go func() {
			for !found(b.Index, "Zorblax festival visitors", "ingested/zorblax") && time.Since(sent) < 30*time.Second {
				time.Sleep(time.Millisecond)
			}
			onB <- time.Since(sent)
		}()
		m := c.command(a, fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin), 30*time.Second, finished)
		onA := time.Since(sent)
		if !strings.Contains(m.Content, "can now be asked about") {
			t.Fatalf("/ingest on A = %q", m.Content)
		}
		took := <-onB
		if took > onA+5*time.Second {
			t.Fatalf("B found A's ingest %v after it was sent, A replied after %v: more than 5 s later\n%s", took, onA, b.Logs)
		}
		t.Logf("convergence: A replied to the /ingest %v after it was sent, B found the article %v after it was sent",
			onA.Round(time.Millisecond), took.Round(time.Millisecond))
		ask := c.command(b, fakediscord.CommandInteraction("ask", map[string]any{"question": "How many visitors came to the Zorblax festival?"}, member), 30*time.Second, finished)
		if !strings.Contains(ask.Content, "twelve thousand") || !strings.Contains(ask.Content, "[1]") {
			t.Errorf("B's answer doesn't cite A's ingest: %q", ask.Content)
		}
		if strings.Contains(b.Logs.String(), "embedding") {
			t.Errorf("B embedded something to apply A's ingest:\n%s", grepLines(b.Logs.String(), "embedding"))
		}
	})

	t.Run("reindex on B never removes A's article", func(t *testing.T) {
		m := c.command(b, fakediscord.CommandInteraction("reindex", nil, admin), 60*time.Second,
			func(m *discordgo.Message) bool { return strings.Contains(m.Content, "Reindex finished") })
		if !strings.Contains(m.Content, "removed 0") {
			t.Errorf("/reindex on B = %q, want nothing removed", m.Content)
		}
		hashes, _, _ := storeArticles(t, db)
		if hashes["ingested/zorblax"] == "" {
			t.Fatal("the store lost A's article to B's reindex")
		}
		waitGeneration(t, a.Index, db, 5*time.Second)
		for _, r := range []*replica{a, b} {
			if !found(r.Index, "Zorblax festival visitors", "ingested/zorblax") {
				t.Errorf("%s no longer finds A's article after B's reindex", r.Name)
			}
		}
	})

	t.Run("SIGKILL of A during an ingest leaves B consistent", func(t *testing.T) {
		ap := c.start("A process", replicaConfig{Process: true})
		for _, moment := range []struct {
			name  string
			query string // a backend of ap's in this state is the moment to kill
		}{
			{"while it embeds, holding the write lock", `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
				WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE $1`},
			// The article's row is written, its passages on their way.
			{"in the middle of its transaction", `SELECT count(*) FROM pg_stat_activity
				WHERE application_name LIKE $1 AND xact_start IS NOT NULL AND query ILIKE 'copy%newsbot_corpus_passages%'`},
		} {
			if ap == nil {
				ap = c.start("A process again", replicaConfig{Process: true})
			}
			_, _, before := storeArticles(t, db)
			name := fmt.Sprintf("big-%d.txt", ap.Pid)
			file := c.Fake.NewAttachment(name, bigArticle(1<<20))
			i := fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin)
			go c.send(ap, i)
			like := fmt.Sprintf("%%pid %d", ap.Pid)
			start := time.Now()
			for {
				var n int
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := db.QueryRow(ctx, moment.query, like).Scan(&n)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				if time.Since(start) > 60*time.Second {
					t.Fatalf("%s: A never got there\n%s", moment.name, ap.Logs)
				}
				time.Sleep(time.Millisecond)
			}
			ap.Kill()
			killedAt := time.Since(start)
			ap = nil

			// The kill ends A's session: the write lock goes with it.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var n int
				if err := db.QueryRow(context.Background(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the killed writer's lock is still held 10 s later")
				}
				time.Sleep(10 * time.Millisecond)
			}
			hashes, _, after := storeArticles(t, db)
			id := "ingested/" + strings.TrimSuffix(name, ".txt")
			committed := hashes[id] != ""
			if committed != (after > before) {
				t.Errorf("article present %v but generation %d -> %d", committed, before, after)
			}
			waitGeneration(t, b.Index, db, 5*time.Second)
			sameCorpus(t, b.Index, db)
			t.Logf("killed %s, %v after the /ingest: the article %s", moment.name, killedAt.Round(time.Millisecond),
				map[bool]string{true: "was committed whole", false: "left nothing behind"}[committed])
		}

		// B serves and takes writes.
		ask := c.command(b, fakediscord.CommandInteraction("ask", map[string]any{"question": "How many visitors came to the Zorblax festival?"}, member), 30*time.Second, finished)
		if !strings.Contains(ask.Content, "twelve thousand") {
			t.Errorf("B's answer after the kill = %q", ask.Content)
		}
		file := c.Fake.NewAttachment("wumble.txt", []byte(strings.ReplaceAll(ingestArticle, "Zorblax", "Wumbleton")))
		m := c.command(b, fakediscord.CommandInteraction("ingest", map[string]any{"file": file}, admin), 30*time.Second, finished)
		if !strings.Contains(m.Content, "can now be asked about") {
			t.Errorf("/ingest on B after A was killed = %q", m.Content)
		}
	})

	t.Run("a full rebuild on A never makes a search on B wait", func(t *testing.T) {
		big := syntheticCorpus(t, 2000)
		env := c.env(replicaConfig{})
		env["NEWSBOT_DATA"], env["NEWSBOT_CORPUS"] = t.TempDir(), big
		if out, errs, err := runBot(t, env, "index"); err != nil {
			t.Fatalf("bot index: %v\n%s%s", err, out, errs)
		}
		waitGeneration(t, b.Index, db, 30*time.Second)
		passages := b.Index.Stats().Passages

		ctx, cancel := context.WithCancel(context.Background())
		var (
			wg        sync.WaitGroup
			latencies []time.Duration
			failures  int
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			queries := []string{"harbour ferry budget", "minister election storm", "museum treaty market", "Zorblax festival visitors"}
			for n := 0; ctx.Err() == nil; n++ {
				start := time.Now()
				res, err := b.Index.Search(context.Background(), retrieval.Query{Text: queries[n%len(queries)], K: 5})
				latencies = append(latencies, time.Since(start))
				if err != nil || len(res) == 0 {
					failures++
				}
				time.Sleep(time.Millisecond)
			}
		}()
		// A's rebuild is a process of its own, as on A's machine.
		rebuildStart := time.Now()
		out, err := c.runProcess(env, "index", "-rebuild")
		rebuilt := time.Since(rebuildStart)
		if err != nil {
			cancel()
			wg.Wait()
			t.Fatalf("bot index -rebuild: %v\n%s", err, out)
		}
		// B has switched once it holds the store's generation, the new
		// build, whole.
		waitGeneration(t, b.Index, db, 30*time.Second)
		switched := time.Since(rebuildStart)
		cancel()
		wg.Wait()
		sameCorpus(t, b.Index, db)
		n := len(latencies)
		p50, p99, worst := quantile(latencies, 0.5), quantile(latencies, 0.99), quantile(latencies, 1)
		t.Logf("rebuild of %d passages on A: %v; B switched %v after it started; B ran %d searches meanwhile: p50 %v, p99 %v, max %v",
			passages, rebuilt.Round(time.Millisecond), switched.Round(time.Millisecond), n, p50, p99, worst)
		if failures > 0 {
			t.Errorf("%d of B's %d searches failed or found nothing during the rebuild", failures, n)
		}
		if n < 100 {
			t.Errorf("only %d searches on B during the rebuild: B was blocked", n)
		}
		// A search that waited for the writer would wait seconds (the
		// rebuild's length); the bound leaves room for a loaded 2-core
		// machine and the race detector.
		if bound := 50 * time.Millisecond * raceFactor; worst > bound {
			t.Errorf("a search on B took %v during A's rebuild, more than %v", worst, bound)
		}
	})
}

// send posts an interaction to a replica and relays its response, without
// waiting for the work it started.
func (c *cluster) send(r *replica, i *discordgo.Interaction) {
	c.gate.hold(i.Token)
	defer c.gate.release(i.Token)
	status, body := c.post(r, i)
	if status != http.StatusOK {
		return
	}
	cb := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", c.Fake.URL(), i.ID, i.Token)
	if resp, err := c.Fake.HTTPClient().Post(cb, "application/json", bytes.NewReader(body)); err == nil {
		resp.Body.Close()
	}
}

// found reports whether a search of ix finds the article id.
func found(ix *retrieval.Index, query, id string) bool {
	res, err := ix.Search(context.Background(), retrieval.Query{Text: query, K: 5})
	if err != nil {
		return false
	}
	for _, r := range res {
		if r.ArticleID == id {
			return true
		}
	}
	return false
}

// bigArticle is an article of about size bytes.
func bigArticle(size int) []byte {
	var b bytes.Buffer
	b.WriteString("The Vellmoor archive opens to the public\n\n")
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "VELLMOOR (Coastal Herald) – Archivists catalogued box %d of the Vellmoor papers on day %d, finding letters about harbour tolls, grain prices and a dispute over fishing rights number %d. ", n, n%365, n*7)
		fmt.Fprintf(&b, "The curator said item %d would be shown in the spring exhibition, beside the ledger of the ferry company.\n\n", n)
	}
	return b.Bytes()
}
