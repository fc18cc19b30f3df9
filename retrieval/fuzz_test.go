package retrieval

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/article"
)

// FuzzChunk checks the chunker's promises on any text: valid UTF-8 in gives
// valid UTF-8 out, no word is lost or cut, passages stay within bounds, and
// IDs are sequential.
func FuzzChunk(f *testing.F) {
	f.Add("Title\n\nOne paragraph. Two sentences.\n\nAnother paragraph here.", 5, 12)
	f.Add(strings.Repeat("word ", 500), 80, 200)
	f.Add("“Quoted,” he said. Gen. Smith left! Did he? Yes… no.\n\n\n\nEnd", 2, 4)
	f.Add("a\u00a0b\tc\r\nd\n\ne", 1, 1)
	f.Fuzz(func(t *testing.T, text string, minWords, maxWords int) {
		if !utf8.ValidString(text) || maxWords < 1 || maxWords > 1000 || minWords < 0 {
			t.Skip()
		}
		a := article.Article{ID: "f/a", Title: "T", Text: text}
		ps := Chunk(a, ChunkOptions{MinWords: minWords, MaxWords: maxWords})
		var all []string
		for i, p := range ps {
			if !utf8.ValidString(p.Text) {
				t.Fatalf("passage %d is not valid UTF-8", i)
			}
			if p.Ordinal != i+1 || p.ID != "f/a#"+itoa(i+1) {
				t.Fatalf("passage %d has ID %s ordinal %d", i, p.ID, p.Ordinal)
			}
			if n := countWords(p.Text); n > maxWords*5/4+1 && n > maxWords {
				t.Fatalf("passage %d has %d words, limit %d", i, n, maxWords)
			}
			if strings.TrimSpace(p.Text) == "" {
				t.Fatalf("passage %d is empty", i)
			}
			all = append(all, strings.Fields(p.Text)...)
		}
		if got, want := strings.Join(all, " "), strings.Join(strings.Fields(text), " "); got != want {
			t.Fatalf("passages lost or cut words:\n got %q\nwant %q", got, want)
		}
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
