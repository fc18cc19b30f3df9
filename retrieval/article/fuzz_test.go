package article

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzExts are the formats FuzzParse exercises, picked by the first argument.
var fuzzExts = []string{".txt", ".md", ".html", ".json", ".jsonl"}

func FuzzParse(f *testing.F) {
	f.Add(uint8(0), []byte("News \u00a0/\u00a0 Defense\n\nTitle\n\nTEHRAN (Tasnim) – Body.\n\nBy Tasnim News Agency"))
	f.Add(uint8(1), []byte("---\ntitle: \"T\"\npublished: 2020-01-02\n---\n# T\n\n[a](b) **c**\n"))
	f.Add(uint8(2), []byte("<html><head><title>T</title><meta property=og:site_name content=S></head><body><nav>x</nav><p>Para “one”.</p><p>Two</p></body></html>"))
	f.Add(uint8(3), []byte(`[{"id":1,"title":"T","text":"<p>x</p>","published":1600000000},{"text":["a","b"]}]`))
	f.Add(uint8(4), []byte("{\"text\":\"a\"}\nnot json\n{\"body\":\"b\",\"author\":[\"x\",\"y\"]}\n"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := "dir/doc" + fuzzExts[int(kind)%len(fuzzExts)]
		arts, problems, err := Parse(name, data, Options{MaxFileBytes: 1 << 20})
		if err != nil {
			if len(arts) != 0 || len(problems) != 0 {
				t.Errorf("error %v with %d articles and %d problems", err, len(arts), len(problems))
			}
			var fe *fileError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a file error", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("error message is not valid UTF-8: %q", err.Error())
			}
			return
		}
		if len(arts) == 0 && len(problems) == 0 {
			t.Errorf("no articles, no problems and no error")
		}
		for _, a := range arts {
			for field, s := range map[string]string{"ID": a.ID, "Path": a.Path, "Title": a.Title, "Source": a.Source, "URL": a.URL, "Author": a.Author, "Text": a.Text} {
				if !utf8.ValidString(s) {
					t.Errorf("%s is not valid UTF-8: %q", field, s)
				}
			}
			if a.ID == "" || a.Path != name {
				t.Errorf("ID %q, Path %q", a.ID, a.Path)
			}
			if a.Text == "" || strings.TrimSpace(a.Text) != a.Text || strings.Contains(a.Text, "\n\n\n") {
				t.Errorf("badly formed Text %q", a.Text)
			}
			if strings.ContainsAny(a.Title, "\n\r\t") {
				t.Errorf("Title spans lines: %q", a.Title)
			}
			if a.Hash != computeHash(a) {
				t.Errorf("stale hash")
			}
		}
		for _, p := range problems {
			if !utf8.ValidString(p.Reason) || p.Path != name {
				t.Errorf("bad problem %+v", p)
			}
		}
	})
}
