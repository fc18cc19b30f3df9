package retrieval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// longStory is an article of about n passages of the default size.
func longStory(n int) string {
	var b strings.Builder
	b.WriteString("A long chronicle\n\n")
	for i := range n {
		b.WriteString(strings.Repeat(fmt.Sprintf("Paragraph %d tells of the harbour and its ferries. ", i), 20))
		b.WriteString("\n\n")
	}
	return b.String()
}

// TestIngestRefuses557kArticles: the 557,000-article upload is refused
// with a rejection naming the cap, nothing is saved and the index is left
// as it was; the refusal parses none of its records (a handful of
// allocations, not millions).
func TestIngestRefuses557kArticles(t *testing.T) {
	ix, corpus := ingestEnv(t)
	before := ix.Stats()
	data := tinyArticles(557_000)
	start := time.Now()
	_, err := ix.Ingest(context.Background(), corpus, "tiny.jsonl", data, nil)
	t.Logf("557,000-article JSON Lines upload (%.1f MiB) refused in %v", float64(len(data))/(1<<20), time.Since(start))
	var rj *Rejection
	if !errors.As(err, &rj) || rj.Reason != RejectOverLimit || rj.Limit != "10,000 articles per file" {
		t.Fatalf("ingest: %v (%+v), want a rejection over the limit of 10,000 articles per file", err, rj)
	}
	if !strings.Contains(err.Error(), "557,000") {
		t.Errorf("the error does not say how many articles the file holds: %v", err)
	}
	if _, err := os.Stat(filepath.Join(corpus, IngestDir, "tiny.jsonl")); !os.IsNotExist(err) {
		t.Errorf("the refused file was saved: %v", err)
	}
	if after := ix.Stats(); after.Articles != before.Articles || after.Passages != before.Passages {
		t.Errorf("the index changed: %+v, was %+v", after, before)
	}
	allocs := testing.AllocsPerRun(1, func() { ix.Ingest(context.Background(), corpus, "tiny.jsonl", data, nil) })
	if allocs > 1000 {
		t.Errorf("refusing the upload allocated %.0f times: its records were parsed", allocs)
	}
}

// TestIngestRefusesWhatAReindexWouldLeaveOut: an article of too many
// passages, and a file that would take the corpus past its passage,
// article or byte caps, are refused naming the cap; a 100-article JSON
// Lines file fits the defaults.
func TestIngestRefusesWhatAReindexWouldLeaveOut(t *testing.T) {
	corpus := fixtureCorpus(t)
	ix, err := Open(Options{Dir: t.TempDir(), MaxPassagesPerArticle: 3, MaxPassages: 9})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		t.Fatal(err)
	}
	five := ix.Stats().Passages // one a story
	for _, tt := range []struct {
		name, data, limit string
	}{
		{"long.txt", longStory(6), "3 passages per article"},
		{"three.jsonl", fmt.Sprintf("{\"text\":%q}\n{\"text\":%q}\n", longStory(3), longStory(3)), "9 passages in the index"},
	} {
		_, err := ix.Ingest(context.Background(), corpus, tt.name, []byte(tt.data), nil)
		var rj *Rejection
		if !errors.As(err, &rj) || rj.Reason != RejectOverLimit || rj.Limit != tt.limit {
			t.Errorf("%s: %v (%+v), want a rejection over the limit of %s", tt.name, err, rj, tt.limit)
		}
	}
	if got := ix.Stats().Passages; got != five {
		t.Errorf("the refusals changed the index: %d passages, was %d", got, five)
	}

	ix2, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&b, "{\"id\":\"n%d\",\"title\":\"Story %d\",\"text\":%q}\n", i, i, strings.Repeat(fmt.Sprintf("Sentence %d of a real article. ", i), 60))
	}
	res, err := ix2.Ingest(context.Background(), corpus, "feed.jsonl", b.Bytes(), nil)
	if err != nil || len(res.Articles) != 100 || len(res.Skipped) != 0 {
		t.Fatalf("100-article JSON Lines file: %d articles, skipped %v, %v", len(res.Articles), res.Skipped, err)
	}
}

// TestReindexLeavesOutFilesOverThePassageCaps: a file with an article of
// too many passages, and the files that would take the index past its
// passage cap (in path order), are reported and left out; the rest is
// indexed.
func TestReindexLeavesOutFilesOverThePassageCaps(t *testing.T) {
	corpus := fixtureCorpus(t) // five stories of one passage each
	writeFile(t, filepath.Join(corpus, "a-long.txt"), longStory(6))
	writeFile(t, filepath.Join(corpus, "z-extra.jsonl"), fmt.Sprintf("{\"text\":%q}\n{\"text\":%q}\n", longStory(2), longStory(2)))
	ix, err := Open(Options{Dir: t.TempDir(), MaxPassagesPerArticle: 4, MaxPassages: 7})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ix.Reindex(context.Background(), corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, p := range sum.Skipped {
		reasons[p.Path] = p.Reason
	}
	if r := reasons["a-long.txt"]; !strings.Contains(r, "over the limit of 4 passages per article") || !strings.Contains(r, "article a-long has") {
		t.Errorf("a-long.txt: %q", r)
	}
	if r := reasons["z-extra.jsonl"]; !strings.Contains(r, "over the limit of 7 passages in the index") {
		t.Errorf("z-extra.jsonl: %q", r)
	}
	if sum.Articles != 5 || sum.Passages != 5 || len(sum.Skipped) != 2 {
		t.Errorf("indexed %d articles, %d passages, skipped %v; want the five stories", sum.Articles, sum.Passages, sum.Skipped)
	}
	for _, a := range ix.Articles() {
		if a.Path == "a-long.txt" || a.Path == "z-extra.jsonl" {
			t.Errorf("%s is indexed", a.Path)
		}
	}
}

// BenchmarkIngestRefuses557kArticles measures the refusal of the
// 557,000-article upload, from the bytes to the rejection.
func BenchmarkIngestRefuses557kArticles(b *testing.B) {
	corpus := b.TempDir()
	ix, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	data := tinyArticles(557_000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ix.Ingest(context.Background(), corpus, "tiny.jsonl", data, nil); err == nil {
			b.Fatal("accepted")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/refusal")
}
