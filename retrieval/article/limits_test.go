package article

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// TestTooManyArticlesAreRefusedUnparsed: a file of more articles than
// MaxArticles is refused whole, with an error naming the cap and the
// count, before any record is parsed (parsing 557,000 records allocates
// millions of times; the refusal allocates a handful).
func TestTooManyArticlesAreRefusedUnparsed(t *testing.T) {
	data := tinyArticles(557_000)
	if len(data) > DefaultMaxFileBytes {
		t.Fatalf("the test file is %d bytes, over the size limit it must stay under", len(data))
	}
	start := time.Now()
	_, _, err := Parse("ingested/tiny.jsonl", data, Options{})
	t.Logf("557,000-article JSON Lines file (%.1f MiB) refused in %v", float64(len(data))/(1<<20), time.Since(start))
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrOverLimit) {
		t.Fatalf("Parse: %v, want a LimitError", err)
	}
	for _, want := range []string{"10,000 articles per file", "557,000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	allocs := testing.AllocsPerRun(1, func() { Parse("ingested/tiny.jsonl", data, Options{}) })
	if allocs > 100 {
		t.Errorf("refusing the file allocated %.0f times: its records were parsed", allocs)
	}

	var arr bytes.Buffer
	arr.WriteString("[")
	for i := range 10_001 {
		if i > 0 {
			arr.WriteString(",\n")
		}
		fmt.Fprintf(&arr, `{"title":"T, %d","text":"x [y] {z} \"q\""}`, i)
	}
	arr.WriteString("]")
	if _, _, err := Parse("feed.json", arr.Bytes(), Options{}); !errors.Is(err, ErrOverLimit) || !strings.Contains(err.Error(), "the file holds 10,001") {
		t.Errorf("a JSON array of 10,001 articles: %v", err)
	}
}

// TestDefaultLimitsKeepRealFiles: a JSON Lines file of 100 articles and an
// array at the cap load whole under the default limits.
func TestDefaultLimitsKeepRealFiles(t *testing.T) {
	var b bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&b, `{"id":"n%d","title":"Story %d","text":"%s"}`+"\n", i, i, strings.Repeat(fmt.Sprintf("Sentence %d of a real article. ", i), 40))
	}
	arts, problems, err := Parse("feed.jsonl", b.Bytes(), Options{})
	if err != nil || len(arts) != 100 || len(problems) != 0 {
		t.Fatalf("100-article JSON Lines: %d articles, %v, %v", len(arts), problems, err)
	}
	arts, _, err = Parse("feed.jsonl", tinyArticles(DefaultMaxArticles), Options{})
	if err != nil || len(arts) != DefaultMaxArticles {
		t.Fatalf("a file at the cap: %d articles, %v", len(arts), err)
	}
}

func TestCountItems(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{`[]`, 0},
		{" [ \n ] ", 0},
		{`[{}]`, 1},
		{`[1, 2, 3]`, 3},
		{`[{"a": "x, y", "b": [1, 2]}, {"c": {"d": [3, 4]}}]`, 2},
		{`["a\", b", "c\\", "d"]`, 3},
	} {
		if got := countItems([]byte(tc.in)); got != tc.want {
			t.Errorf("countItems(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestCorpusLimits: files past the corpus's byte budget are skipped unread,
// and a file whose articles would take the corpus past its article cap is
// skipped whole; both are Problems naming the cap. Files go in path order.
func TestCorpusLimits(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a.txt":   "First\n\n" + strings.Repeat("word ", 100), // 508 bytes
		"b.txt":   "Second\n\n" + strings.Repeat("word ", 100),
		"c.jsonl": "{\"text\":\"one\"}\n{\"text\":\"two\"}\n",
		"d.txt":   "Fourth\n\nShort.",
	})
	arts, problems, err := LoadDir(context.Background(), root, Options{MaxTotalBytes: 1100, MaxTotalArticles: 3})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range arts {
		ids = append(ids, a.ID)
	}
	if fmt.Sprint(ids) != "[a b d]" {
		t.Errorf("articles %v, want a, b and d", ids)
	}
	got := map[string]string{}
	for _, p := range problems {
		got[p.Path] = p.Reason
	}
	if r := got["c.jsonl"]; !strings.Contains(r, "over the limit of 3 articles in the corpus") || !strings.Contains(r, "its 2 articles would take the corpus to 4") {
		t.Errorf("c.jsonl: %q", r)
	}
	if len(problems) != 1 {
		t.Errorf("problems %v, want c.jsonl's only", problems)
	}

	_, problems, err = LoadDir(context.Background(), root, Options{MaxTotalBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]string{}
	for _, p := range problems {
		got[p.Path] = p.Reason
	}
	if r := got["b.txt"]; !strings.Contains(r, "over the limit of 1000 bytes in the corpus") {
		t.Errorf("b.txt past the byte budget: %q (problems %v)", r, problems)
	}
	if _, ok := got["c.jsonl"]; ok {
		t.Errorf("c.jsonl fits after b.txt was skipped, but: %q", got["c.jsonl"])
	}
	if n, err := CorpusBytes(context.Background(), root); err != nil || n < 1000 {
		t.Errorf("CorpusBytes = %d, %v", n, err)
	}
}

// TestDefaultLimitsKeepTheBBCCorpus: the BBC corpus loads whole under the
// default limits.
func TestDefaultLimitsKeepTheBBCCorpus(t *testing.T) {
	arts, problems, err := LoadDir(context.Background(), findBBC(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.Contains(p.Reason, "over the limit") {
			t.Errorf("%s: %s", p.Path, p.Reason)
		}
	}
	if len(arts) != 2225 {
		t.Errorf("%d BBC articles, want 2,225", len(arts))
	}
}

// BenchmarkRefuseTinyArticles measures the refusal of the 557,000-article
// file.
func BenchmarkRefuseTinyArticles(b *testing.B) {
	data := tinyArticles(557_000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Parse("tiny.jsonl", data, Options{}); !errors.Is(err, ErrOverLimit) {
			b.Fatal(err)
		}
	}
}
