package retrieval

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/newsbot/newsbot/retrieval/text"
	"golang.org/x/sync/errgroup"
)

// Embedder turns texts into vectors. Implementations must return
// L2-normalised vectors of Info().Dim components: chromem-go stores vectors
// as given and scores by dot product.
type Embedder interface {
	Info() EmbedderInfo
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// EmbedderInfo identifies the vectors an embedder makes. The index records
// it; an index built by a different embedder is re-embedded, never mixed.
type EmbedderInfo struct {
	Name  string `json:"name"`
	Model string `json:"model,omitempty"`
	Dim   int    `json:"dim"`
}

func (i EmbedderInfo) String() string {
	if i.Model != "" {
		return fmt.Sprintf("%s/%s (%d dims)", i.Name, i.Model, i.Dim)
	}
	return fmt.Sprintf("%s (%d dims)", i.Name, i.Dim)
}

// LocalEmbedder is the default embedder: in-process, deterministic, no model
// download and no network. It hashes features of the text into a signed
// vector (the "hashing trick"): stemmed content words, pairs of adjacent
// content words, and character 4-grams of each word, which make spelling
// variants ("defence", "defense") and inflections land near each other.
// Term counts are damped (1 + ln tf) so one repeated word cannot dominate.
type LocalEmbedder struct {
	dim  int
	stem *text.Analyzer
}

// localEmbedderVersion changes whenever the features or weights change, so
// that indexes built by the old version are re-embedded.
const localEmbedderVersion = "hash-v1"

// NewLocalEmbedder returns a hashing embedder with dim components (256 when
// dim <= 0).
func NewLocalEmbedder(dim int) *LocalEmbedder {
	if dim <= 0 {
		dim = 256
	}
	return &LocalEmbedder{dim: dim, stem: text.New()}
}

// Info implements Embedder.
func (e *LocalEmbedder) Info() EmbedderInfo {
	return EmbedderInfo{Name: "local", Model: localEmbedderVersion, Dim: e.dim}
}

// Embed implements Embedder. It uses all cores for large batches.
func (e *LocalEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out, err := embedEach(ctx, len(texts), func(i int) []float32 { return e.vector(texts[i]) })
	if err != nil {
		return nil, fmt.Errorf("local embedder: %w", err)
	}
	return out, nil
}

// Analyzer implements WordEmbedder: the analyzer Embed tokenises texts
// with.
func (e *LocalEmbedder) Analyzer() *text.Analyzer { return e.stem }

// EmbedWords implements WordEmbedder.
func (e *LocalEmbedder) EmbedWords(ctx context.Context, words [][]text.Word) ([][]float32, error) {
	out, err := embedEach(ctx, len(words), func(i int) []float32 { return e.WordsVector(words[i], nil) })
	if err != nil {
		return nil, fmt.Errorf("local embedder: %w", err)
	}
	return out, nil
}

// embedEach returns vector(i) for i < n, on all cores for large batches.
func embedEach(ctx context.Context, n int, vector func(i int) []float32) ([][]float32, error) {
	out := make([][]float32, n)
	if n < 64 {
		for i := range out {
			out[i] = vector(i)
		}
		return out, ctx.Err()
	}
	var g errgroup.Group
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for i := w; i < n; i += workers {
				if i%256 == w && ctx.Err() != nil {
					return ctx.Err()
				}
				out[i] = vector(i)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// WordEmbedder is an offline embedder that embeds a text from its words
// as the keyword index tokenises them (Analyzer().Words(text, true), stop
// words dropped), so that indexing tokenises each passage once for both:
// the index tokenises passages with the embedder's Analyzer (sharing its
// cache) and, for an embedder that is a WordEmbedder, passes the words to
// EmbedWords rather than the texts to Embed. LocalEmbedder is one, and so
// is the LSA embedder (lsa.Embedder, package retrieval/lsa).
//
// EmbedWords must return the vectors Embed returns for the same texts. A
// type that wraps a word embedder to change what Embed does (a test's
// counting wrapper, say) must hold it as an Embedder, not embed its
// concrete type: an embedded *LocalEmbedder would lend the wrapper its
// EmbedWords, and the index would bypass the wrapper's Embed.
type WordEmbedder interface {
	Embedder
	// Analyzer is the analyzer whose words EmbedWords takes.
	Analyzer() *text.Analyzer
	EmbedWords(ctx context.Context, words [][]text.Word) ([][]float32, error)
}

// Feature weights, relative to a content word.
const (
	bigramWeight = 0.6
	gramWeight   = 0.35
)

func (e *LocalEmbedder) vector(text string) []float32 {
	return e.weightedVector(text, nil)
}

// weightedVector is vector with each word's features scaled by weight(term)
// when weight is not nil. Search weights the query's words by their rarity
// in the index (idf), so that a name matters more than "reported"; passage
// vectors stay unweighted, so they don't depend on the rest of the corpus.
func (e *LocalEmbedder) weightedVector(text string, weight func(term string) float64) []float32 {
	return e.WordsVector(e.stem.Words(text, true), weight)
}

// WordsVector is the vector of a text tokenised already (words as
// Analyzer().Words(text, true) returns them), with each word's features
// scaled by weight(term) when weight is not nil; with a nil weight it is
// the vector Embed gives the text. The LSA embedder makes its hashing half
// with it.
func (e *LocalEmbedder) WordsVector(words []text.Word, weight func(term string) float64) []float32 {
	// The features' counts, kept in the order the features first came
	// (keys), so that the vector is summed in that order: the same text
	// always makes the same vector, to the last bit, whatever order a map
	// would have visited them in.
	at := make(map[uint64]int, len(words)*4)
	keys := make([]uint64, 0, len(words)*4)
	counts := make([]float64, 0, len(words)*4)
	add := func(h uint64, x float64) {
		i, ok := at[h]
		if !ok {
			i = len(keys)
			at[h] = i
			keys, counts = append(keys, h), append(counts, 0)
		}
		counts[i] += x
	}
	prev := ""
	prevW := 1.0
	for _, w := range words {
		if w.Kind == text.Compound {
			continue // its parts follow: "fourth-quarter" embeds as "fourth quarter"
		}
		wt := 1.0
		if weight != nil {
			wt = weight(w.Term)
		}
		add(fnv("w", w.Term, ""), wt)
		if prev != "" {
			add(fnv("b", prev, w.Term), bigramWeight*(wt+prevW)/2)
		}
		prev, prevW = w.Term, wt
		folded := text.Fold(w.Surface)
		if len(folded) >= 4 && !strings.ContainsAny(folded, "0123456789") {
			padded := "<" + folded + ">"
			// Character 4-grams over bytes: for non-ASCII words a gram may
			// cut a rune, which is fine for hashing.
			n := len(padded) - 3
			for i := 0; i < n; i++ {
				add(fnv("g", padded[i:i+4], ""), wt*gramWeight/float64(n)*4)
			}
		}
	}
	v := make([]float32, e.dim)
	for k, h := range keys {
		c := counts[k]
		idx := int(h % uint64(e.dim))
		val := float32(c)
		if c > 1 {
			val = float32(1 + math.Log(c))
		}
		if h>>63 == 1 {
			val = -val
		}
		v[idx] += val
	}
	Normalize(v)
	return v
}

// Normalize scales v to unit length in place; a zero vector stays zero.
// Embedders built on this package (retrieval/lsa) use it, so that the
// halves of a combined vector are normalised alike.
func Normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}

// fnv hashes kind, a and b with FNV-1a (64 bit) without allocating.
func fnv(kind, a, b string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(kind); i++ {
		h = (h ^ uint64(kind[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * prime
	}
	if b != "" {
		h = (h ^ 0xfe) * prime
		for i := 0; i < len(b); i++ {
			h = (h ^ uint64(b[i])) * prime
		}
	}
	// Final avalanche so that the low bits used for the index and the top
	// bit used for the sign are independent.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
