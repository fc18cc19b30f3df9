package retrieval

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/text"
)

func words(n int, prefix string) string {
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return strings.Join(w, " ")
}

// sentences makes n sentences of size words each.
func sentences(n, size int, prefix string) string {
	var s []string
	for i := 0; i < n; i++ {
		s = append(s, "The "+words(size-1, fmt.Sprintf("%s%dw", prefix, i))+".")
	}
	return strings.Join(s, " ")
}

func TestChunk(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		wantN     int
		maxWords  int // longest passage allowed
		firstEnds string
	}{
		{name: "short article is one passage", text: "One short paragraph. It has two sentences.", wantN: 1, maxWords: 200},
		{name: "paragraphs grouped up to the maximum", text: strings.Join([]string{sentences(3, 20, "a"), sentences(3, 20, "b"), sentences(3, 20, "c"), sentences(3, 20, "d"), sentences(3, 20, "e")}, "\n\n"), wantN: 2, maxWords: 200},
		{name: "long paragraph split at sentence ends", text: sentences(30, 20, "x"), wantN: 3, maxWords: 200, firstEnds: "."},
		{name: "one endless sentence split between words", text: words(450, "w"), wantN: 2, maxWords: 250},
		{name: "short tail merged into its neighbour", text: sentences(5, 20, "p") + "\n\n" + sentences(5, 19, "q") + "\n\n" + sentences(1, 15, "tail"), wantN: 1, maxWords: 250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := article.Article{ID: "x/doc", Title: "T", Source: "S", Text: tc.text}
			ps := Chunk(a, DefaultChunkOptions)
			if len(ps) != tc.wantN {
				t.Fatalf("got %d passages, want %d", len(ps), tc.wantN)
			}
			var rejoined []string
			for i, p := range ps {
				if p.ID != fmt.Sprintf("x/doc#%d", i+1) || p.Ordinal != i+1 || p.ArticleID != "x/doc" || p.Source != "S" {
					t.Errorf("passage %d has ID %q ordinal %d article %q source %q", i, p.ID, p.Ordinal, p.ArticleID, p.Source)
				}
				if n := countWords(p.Text); n > tc.maxWords {
					t.Errorf("passage %d has %d words, more than %d", i, n, tc.maxWords)
				}
				if !utf8.ValidString(p.Text) {
					t.Errorf("passage %d is not valid UTF-8", i)
				}
				rejoined = append(rejoined, p.Text)
			}
			if got, want := strings.Fields(strings.Join(rejoined, " ")), strings.Fields(tc.text); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("passages don't give back the article's words:\n got %.200q\nwant %.200q", strings.Join(got, " "), strings.Join(want, " "))
			}
			if tc.firstEnds != "" && !strings.HasSuffix(ps[0].Text, tc.firstEnds) {
				t.Errorf("first passage should end a sentence, ends %q", ps[0].Text[len(ps[0].Text)-20:])
			}
		})
	}
}

func TestChunkIDsStableWhenArticleUnchanged(t *testing.T) {
	a := article.Article{ID: "seeds/a", Title: "T", Text: sentences(40, 15, "s")}
	first := Chunk(a, DefaultChunkOptions)
	second := Chunk(a, DefaultChunkOptions)
	if len(first) != len(second) {
		t.Fatalf("chunking the same article twice gave %d and %d passages", len(first), len(second))
	}
	for i := range first {
		if first[i].ID != second[i].ID || first[i].Text != second[i].Text {
			t.Fatalf("passage %d differs between runs", i)
		}
	}
}

func TestSentenceSpans(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Iran said no. The US said yes.", []string{"Iran said no. ", "The US said yes."}},
		{"Gen. Jazayeri spoke. He left.", []string{"Gen. Jazayeri spoke. ", "He left."}},
		{"The U.S. Senate must pass it. Then Trump signs.", []string{"The U.S. Senate must pass it. ", "Then Trump signs."}},
		{"“Not negotiable,” he said. “Never.”", []string{"“Not negotiable,” he said. ", "“Never.”"}},
		{"It grew 2.5 percent. Prices fell.", []string{"It grew 2.5 percent. ", "Prices fell."}},
		{"A claim [1]. Another [2].", []string{"A claim [1]. ", "Another [2]."}},
		{"A claim. [1] Another.", []string{"A claim. [1] ", "Another."}},
	}
	for _, tc := range tests {
		var got []string
		for _, sp := range text.SentenceSpans(tc.text) {
			got = append(got, tc.text[sp[0]:sp[1]])
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("text.SentenceSpans(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
