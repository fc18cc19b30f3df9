package retrieval

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/text"
)

// Passage is one chunk of an article: the unit that is embedded, searched and
// cited. Its ID is "<articleID>#<n>" with n counting from 1, so a citation
// stays valid across reindexes as long as its article did not change.
type Passage struct {
	ID        string    `json:"passage_id"`
	ArticleID string    `json:"article_id"`
	Title     string    `json:"title"`
	Source    string    `json:"source,omitempty"`
	URL       string    `json:"url,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Ordinal   int       `json:"ordinal"`
	Text      string    `json:"text"`
}

// ChunkOptions bounds passage length in words.
type ChunkOptions struct {
	MinWords int // a passage shorter than this is merged into its neighbour when it fits
	MaxWords int // no passage is longer, unless a single sentence is
}

// DefaultChunkOptions are the chunk sizes the index uses: long enough to
// carry a claim with its attribution, short enough to cite precisely.
var DefaultChunkOptions = ChunkOptions{MinWords: 80, MaxWords: 200}

// chunkerVersion names the chunking rules and what is indexed of each
// passage (embedText). Changing either changes passages or their vectors:
// bump it, and the next reindex re-chunks and
// re-embeds every article.
const chunkerVersion = "para-v2"

// Chunk splits an article into passages. Paragraphs are kept whole and
// grouped until MaxWords; a paragraph longer than that is split at sentence
// ends; a sentence longer than that is split between words. Joined with
// blank lines, the passages' texts give back the article's text.
func Chunk(a article.Article, opts ChunkOptions) []Passage {
	if opts.MaxWords <= 0 {
		opts = DefaultChunkOptions
	}
	if opts.MinWords > opts.MaxWords {
		opts.MinWords = opts.MaxWords
	}
	// Units: pieces no longer than MaxWords, each tagged with whether it
	// ends a paragraph.
	type unit struct {
		text    string
		words   int
		paraEnd bool
	}
	var units []unit
	for _, para := range splitParagraphs(a.Text) {
		n := countWords(para)
		if n <= opts.MaxWords {
			units = append(units, unit{para, n, true})
			continue
		}
		pieces := splitLong(para, opts.MaxWords)
		for i, p := range pieces {
			units = append(units, unit{p, countWords(p), i == len(pieces)-1})
		}
	}

	var texts []string
	var cur []string
	curWords := 0
	flush := func() {
		if len(cur) > 0 {
			texts = append(texts, joinUnits(cur))
			cur, curWords = nil, 0
		}
	}
	for _, u := range units {
		if curWords > 0 && curWords+u.words > opts.MaxWords {
			flush()
		}
		if u.paraEnd {
			cur = append(cur, u.text+"\n\n")
		} else {
			cur = append(cur, u.text+" ")
		}
		curWords += u.words
	}
	flush()

	// Merge a short tail into the passage before it when the result stays
	// within 1.25 × MaxWords: a 20-word last paragraph is better cited with
	// its context than alone.
	if len(texts) >= 2 {
		last := texts[len(texts)-1]
		prev := texts[len(texts)-2]
		if countWords(last) < opts.MinWords && countWords(prev)+countWords(last) <= opts.MaxWords*5/4 {
			texts = append(texts[:len(texts)-2], prev+"\n\n"+last)
		}
	}

	out := make([]Passage, 0, len(texts))
	for i, t := range texts {
		out = append(out, Passage{
			ID:        fmt.Sprintf("%s#%d", a.ID, i+1),
			ArticleID: a.ID,
			Title:     a.Title,
			Source:    a.Source,
			URL:       a.URL,
			Published: a.Published,
			Ordinal:   i + 1,
			Text:      t,
		})
	}
	return out
}

// joinUnits joins units that carry their own trailing separator and trims
// the result.
func joinUnits(units []string) string {
	return strings.TrimSpace(strings.Join(units, ""))
}

// splitParagraphs splits at blank lines and trims each paragraph; single
// line breaks inside a paragraph are kept.
func splitParagraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// countWords counts whitespace-separated words.
func countWords(s string) int {
	n := 0
	in := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// splitLong splits a paragraph longer than maxWords into pieces of at most
// maxWords, cutting after sentence ends where possible and between words
// otherwise.
func splitLong(para string, maxWords int) []string {
	var pieces []string
	var cur strings.Builder
	curWords := 0
	for _, s := range splitSentences(para) {
		n := countWords(s)
		if curWords > 0 && curWords+n > maxWords {
			pieces = append(pieces, strings.TrimSpace(cur.String()))
			cur.Reset()
			curWords = 0
		}
		if n > maxWords {
			// One very long sentence: cut it between words.
			fields := strings.Fields(s)
			for len(fields) > 0 {
				take := min(maxWords, len(fields))
				pieces = append(pieces, strings.Join(fields[:take], " "))
				fields = fields[take:]
			}
			continue
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(strings.TrimSpace(s))
		curWords += n
	}
	if cur.Len() > 0 {
		pieces = append(pieces, strings.TrimSpace(cur.String()))
	}
	return pieces
}

// splitSentences splits text after sentence-ending punctuation (. ! ? and
// closing quotes or brackets that follow it) when the next word starts with
// an upper-case letter, a digit or an opening quote. Abbreviations such as
// "Gen." or "U.S." followed by a name are split too rarely to matter for
// chunking; SentenceSpans keeps them together.
func splitSentences(para string) []string {
	var out []string
	for _, sp := range text.SentenceSpans(para) {
		if s := strings.TrimSpace(para[sp[0]:sp[1]]); s != "" {
			out = append(out, s)
		}
	}
	return out
}
