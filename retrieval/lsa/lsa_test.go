package lsa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newsbot/newsbot/internal/testkit"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/text"
)

// lsaTopics are the vocabularies of a synthetic corpus. Within a topic, the
// words of a synonym pair never share a text, so only their shared
// contexts can relate them; the two words share no letters, so the hashing
// embedder can't.
var lsaTopics = []struct {
	synonyms [2]string
	context  []string
}{
	{[2]string{"rocket", "missile"}, []string{"warhead", "launch", "navy", "ballistic", "range", "fired", "test", "military", "general", "base"}},
	{[2]string{"footballer", "striker"}, []string{"goal", "match", "league", "club", "scored", "keeper", "penalty", "season", "coach", "stadium"}},
	{[2]string{"inflation", "prices"}, []string{"bank", "shares", "profit", "market", "rates", "economy", "quarter", "growth", "investors", "currency"}},
}

// lsaCorpus returns n texts per topic and synonym, each of a few sentences
// drawn from its topic's words with a fixed seed.
func lsaCorpus(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	var texts []string
	for _, tp := range lsaTopics {
		for _, syn := range tp.synonyms {
			for i := 0; i < n; i++ {
				var b strings.Builder
				for s := 0; s < 4; s++ {
					words := []string{syn}
					for w := 0; w < 6; w++ {
						words = append(words, tp.context[rng.IntN(len(tp.context))])
					}
					rng.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
					b.WriteString(strings.Join(words, " "))
					b.WriteString(". ")
				}
				texts = append(texts, b.String())
			}
		}
	}
	return texts
}

func trainSmall(t *testing.T) *Model {
	t.Helper()
	m, err := Train(context.Background(), lsaCorpus(12), Options{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

func TestLSALearnsSynonymsFromContext(t *testing.T) {
	m := trainSmall(t)
	for _, tp := range lsaTopics {
		t.Run(tp.synonyms[0], func(t *testing.T) {
			ns := m.Neighbours(tp.synonyms[0], 12)
			if len(ns) == 0 {
				t.Fatalf("%q has no neighbours", tp.synonyms[0])
			}
			want := text.New().Terms(tp.synonyms[1])[0]
			// The synonym must rank among the topic's own words, ahead of
			// every word of the other topics.
			own := map[string]bool{want: true}
			for _, w := range tp.context {
				own[text.New().Terms(w)[0]] = true
			}
			found := false
			for _, n := range ns[:len(tp.context)+1] {
				if !own[n.Term] {
					t.Errorf("neighbour %q of %q is from another topic: %v", n.Term, tp.synonyms[0], ns)
				}
				found = found || n.Term == want
			}
			if !found {
				t.Errorf("%q is not among the neighbours of %q: %v", want, tp.synonyms[0], ns)
			}
		})
	}
}

func TestLSAEmbedderFindsTextsWithoutSharedWords(t *testing.T) {
	m := trainSmall(t)
	lsa := New(m, EmbedOptions{})
	hash := retrieval.NewLocalEmbedder(0)
	ctx := context.Background()
	query := "rocket"
	related := "The missile was carried by the truck."
	unrelated := "The striker was carried by the crowd."
	for _, tc := range []struct {
		name string
		emb  retrieval.Embedder
		// wantGap is the least margin by which the related text must be
		// closer to the query than the unrelated one.
		wantGap float64
	}{
		{"lsa", lsa, 0.2},
		{"hash", hash, math.Inf(-1)}, // for the record: it can't tell
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := tc.emb.Embed(ctx, []string{query, related, unrelated})
			if err != nil {
				t.Fatal(err)
			}
			gap := cosine(vs[0], vs[1]) - cosine(vs[0], vs[2])
			t.Logf("similarity gap %.3f", gap)
			if gap < tc.wantGap {
				t.Errorf("related text only %.3f closer to %q than the unrelated one; want >= %.2f", gap, query, tc.wantGap)
			}
		})
	}
}

func TestLSAEmbedderVectors(t *testing.T) {
	m := trainSmall(t)
	e := New(m, EmbedOptions{})
	info := e.Info()
	if info.Name != "local-lsa" || info.Dim != 256+m.Dim() || !strings.Contains(info.Model, m.ID()) {
		t.Fatalf("Info() = %+v, want local-lsa, %d dims, model naming %s", info, 256+m.Dim(), m.ID())
	}
	// Enough texts to embed in parallel.
	texts := append(lsaCorpus(12), "", "zzz qqq unknown words only", "Rocket!")
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if len(v) != info.Dim {
			t.Fatalf("text %d: %d components, want %d", i, len(v), info.Dim)
		}
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if texts[i] == "" {
			if n != 0 {
				t.Errorf("empty text: norm² %v, want 0", n)
			}
			continue
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("text %d (%.20q): norm² %v, want 1", i, texts[i], n)
		}
	}
	// Words outside the vocabulary leave the LSA half empty.
	unknown := vs[len(vs)-2]
	if slices.ContainsFunc(unknown[256:], func(x float32) bool { return x != 0 }) {
		t.Error("a text with no vocabulary word has a non-zero LSA half")
	}
	again, err := e.Embed(context.Background(), texts[len(texts)-1:])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again[0], vs[len(vs)-1]) {
		t.Error("embedding a text alone and in a batch differ")
	}
}

func TestTrainLSADeterministic(t *testing.T) {
	a, b := trainSmall(t), trainSmall(t)
	var ab, bb bytes.Buffer
	if _, err := a.WriteTo(&ab); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo(&bb); err != nil {
		t.Fatal(err)
	}
	if a.ID() != b.ID() || !bytes.Equal(ab.Bytes(), bb.Bytes()) {
		t.Fatalf("two trainings on the same texts differ: %s, %s", a.ID(), b.ID())
	}
	other, err := Train(context.Background(), lsaCorpus(11), Options{Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	if other.ID() == a.ID() {
		t.Error("a model trained on other texts has the same ID: indexes would not be re-embedded")
	}
}

func TestLSAModelSaveLoad(t *testing.T) {
	m := trainSmall(t)
	path := filepath.Join(t.TempDir(), "lsa.bin")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != m.ID() || got.Len() != m.Len() || got.Dim() != m.Dim() {
		t.Fatalf("loaded %s (%d×%d), saved %s (%d×%d)", got.ID(), got.Len(), got.Dim(), m.ID(), m.Len(), m.Dim())
	}
	text := []string{"The missile was fired from the navy base."}
	want, _ := New(m, EmbedOptions{}).Embed(context.Background(), text)
	have, _ := New(got, EmbedOptions{}).Embed(context.Background(), text)
	if !slices.Equal(want[0], have[0]) {
		t.Error("the loaded model embeds differently")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("save left %d files, want 1", len(entries))
	}
}

func TestReadLSAModelRefusesDamage(t *testing.T) {
	var buf bytes.Buffer
	if _, err := trainSmall(t).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a model", []byte("{\"terms\": []}\n" + strings.Repeat("x", 64))},
		{"truncated", good[:len(good)/2]},
		{"checksum cut off", good[:len(good)-1]},
		{"flipped vocabulary byte", flip(len(magic) + 10)},
		{"flipped vector byte", flip(len(good) - 100)},
		{"flipped checksum byte", flip(len(good) - 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadModel(bytes.NewReader(tc.data)); err == nil {
				t.Error("a damaged model was accepted")
			}
		})
	}
}

func TestTrainLSARefuses(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		texts []string
		want  error
	}{
		{"no texts", context.Background(), nil, ErrCorpusTooSmall},
		{"no repeated words", context.Background(), []string{"alpha beta", "gamma delta"}, ErrCorpusTooSmall},
		{"cancelled", cancelled, lsaCorpus(12), context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Train(tc.ctx, tc.texts, Options{}); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestLSAEmbedderInIndex indexes the synthetic corpus as files and searches
// by vector alone: a word no article of the topic contains must still find
// the topic.
func TestLSAEmbedderInIndex(t *testing.T) {
	corpus := t.TempDir()
	texts := lsaCorpus(12)
	for i, text := range texts {
		if err := os.WriteFile(filepath.Join(corpus, fmt.Sprintf("a%03d.txt", i)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := retrieval.Open(retrieval.Options{Dir: t.TempDir(), Embedder: New(trainSmall(t), EmbedOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ix.Reindex(ctx, corpus, nil); err != nil {
		t.Fatal(err)
	}
	// Articles 0-11 use "rocket", 12-23 "missile". Near-duplicates are
	// collapsed, so count the "missile" articles that rank above every
	// article of another topic.
	res, err := ix.Search(ctx, retrieval.Query{Text: "rocket", K: 20, PerArticle: 1, Mode: retrieval.ModeVector})
	if err != nil {
		t.Fatal(err)
	}
	missile := 0
	for _, r := range res {
		var n int
		fmt.Sscanf(r.ArticleID, "a%03d", &n)
		if n >= 24 {
			break
		}
		if n >= 12 {
			missile++
		}
	}
	if missile < 3 {
		t.Errorf("%d \"missile\" articles rank above the other topics for \"rocket\", want >= 3", missile)
	}
}

// bbcTexts returns every step-th article of the BBC corpus as Train
// reads it, or skips tb when the corpus is absent.
func bbcTexts(tb testing.TB, step int) []string {
	tb.Helper()
	arts, _, err := article.LoadDir(context.Background(), testkit.BBC(tb), article.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	var texts []string
	for i := 0; i < len(arts); i += step {
		texts = append(texts, arts[i].Title+"\n\n"+arts[i].Text)
	}
	return texts
}

// TestTrainLSABBC trains on a quarter of the BBC corpus (the whole is
// BenchmarkTrainLSABBC): words the corpus uses alike end up close.
func TestTrainLSABBC(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 556 articles")
	}
	m, err := Train(context.Background(), bbcTexts(t, 4), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Dim() != 128 || m.Len() < 5000 {
		t.Errorf("model of %d terms × %d dims, want >= 5,000 × 128", m.Len(), m.Dim())
	}
	st := text.New()
	for _, tc := range []struct{ word, near string }{
		{"chancellor", "Brown"},
		{"election", "voters"},
		{"film", "movie"},
		{"shares", "stock"},
		{"broadband", "internet"},
	} {
		var terms []string
		for _, n := range m.Neighbours(tc.word, 30) {
			terms = append(terms, n.Term)
		}
		if !slices.Contains(terms, st.Terms(tc.near)[0]) {
			t.Errorf("%q not among the 30 nearest of %q: %v", tc.near, tc.word, terms)
		}
	}
}

// BenchmarkTrainLSABBC trains on the whole BBC corpus (2,225 articles); the
// target is a few seconds on 2 cores.
func BenchmarkTrainLSABBC(b *testing.B) {
	texts := bbcTexts(b, 1)
	b.ReportAllocs()
	var m *Model
	for b.Loop() {
		var err error
		if m, err = Train(context.Background(), texts, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m.Len()), "terms")
}

// TestEmbedWordsIsEmbed: an index embeds passages from the words it
// tokenised for its keyword index (retrieval.WordEmbedder); the vectors
// must be the ones Embed makes of the texts.
func TestEmbedWordsIsEmbed(t *testing.T) {
	e := New(trainSmall(t), EmbedOptions{WeightHash: true})
	// Enough texts to embed in parallel, and some the model has no word of.
	texts := append(lsaCorpus(12), "", "zzz qqq unknown words only", "The rocket-launch site: 2,000 troops.")
	words := make([][]text.Word, len(texts))
	for i, s := range texts {
		words[i] = e.Analyzer().Words(s, true)
	}
	ctx := context.Background()
	got, err := e.EmbedWords(ctx, words)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d vectors from words, %d from texts", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("text %d: %d components from words, %d from the text", i, len(got[i]), len(want[i]))
		}
		// To rounding: the hashing half adds colliding features in map
		// order.
		for j := range want[i] {
			if math.Abs(float64(got[i][j]-want[i][j])) > 1e-6 {
				t.Fatalf("text %d: component %d is %v from words, %v from the text", i, j, got[i][j], want[i][j])
			}
		}
	}
}
