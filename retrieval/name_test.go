package retrieval

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSuggestName(t *testing.T) {
	tests := []struct {
		url, mediaType, want string
	}{
		{"https://example.com/news/2024/05/some-story.html", "text/html", "some-story.html"},
		{"https://example.com/news/Some_Story", "text/html", "some_story.html"},
		{"https://example.com/news/story/", "application/xhtml+xml", "story.html"},
		{"https://example.com/feed.json", "application/json", "feed.json"},
		{"https://example.com/feed", "application/x-ndjson", "feed.json"},
		{"https://example.com/README", "text/markdown", "readme.md"},
		{"https://example.com/notes.txt", "text/plain", "notes.txt"},
		{"https://example.com/index.php?id=3", "text/html", "index.html"},
		{"https://example.com/a%20b%2Fc", "text/html", "a-b-c.html"},
		{"https://example.com/..%2F..%2Fetc%2Fpasswd", "text/plain", "etc-passwd.txt"},
		{"https://example.com/.hidden", "text/plain", "hidden.txt"},
		{"https://example.com/v1.2.archive", "text/plain", "v1-2-archive.txt"},
		{"https://www.example.com/", "text/html", "example-com.html"},
		{"https://example.com", "text/html", "example-com.html"},
		{"https://example.com/article/123456", "text/html", "example-com-123456.html"},
		{"https://example.ru/новости/Выборы-2024", "text/html", "выборы-2024.html"},
		{"https://example.com/%E2%80%AEevil", "text/html", "evil.html"}, // right-to-left override
		{"https://example.com/con", "text/plain", "con-page.txt"},
		{"https://example.com/---", "text/html", "example-com.html"},
		{"http://127.0.0.1:8080/", "text/html", "127-0-0-1.html"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := suggestName(u, tt.mediaType); got != tt.want {
				t.Errorf("suggestName(%s, %s) = %q, want %q", tt.url, tt.mediaType, got, tt.want)
			}
		})
	}
}

func TestSuggestNameLength(t *testing.T) {
	u := &url.URL{Scheme: "https", Host: "example.com", Path: "/" + strings.Repeat("é", 200)}
	got := suggestName(u, "text/html")
	if len(got) > maxFileStem+len(".html") || !utf8.ValidString(got) {
		t.Errorf("suggestName of a long path = %q (%d bytes), want at most %d valid UTF-8 bytes", got, len(got), maxFileStem+5)
	}
}

func FuzzSuggestName(f *testing.F) {
	f.Add("/news/story.html", "example.com", "text/html")
	f.Add("/..%2F..%2F", "", "text/plain")
	f.Add("/\x00/\xff", "[::1]", "application/json")
	f.Fuzz(func(t *testing.T, rawPath, host, mediaType string) {
		u := &url.URL{Scheme: "https", Host: host}
		if p, err := url.PathUnescape(rawPath); err == nil {
			u.Path, u.RawPath = p, rawPath
		} else {
			u.Path = rawPath
		}
		name := suggestName(u, mediaType)
		ext := extensionFor(mediaType)
		stem, found := strings.CutSuffix(name, ext)
		if !found || stem == "" {
			t.Fatalf("name %q lacks a stem or the extension %q", name, ext)
		}
		if strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") {
			t.Fatalf("unsafe name %q", name)
		}
		if strings.Contains(stem, ".") || !utf8.ValidString(name) || len(stem) > maxFileStem+len("-page") {
			t.Fatalf("badly formed name %q", name)
		}
	})
}
