package article

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// findBBC locates the shared BBC corpus by walking up from the working
// directory, checking P/shared/corpora/bbc and P/../shared/corpora/bbc for
// every parent P; it skips the test when there is none.
func findBBC(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Skipf("no working directory: %v", err)
	}
	for {
		for _, c := range []string{
			filepath.Join(dir, "shared", "corpora", "bbc"),
			filepath.Join(dir, "..", "shared", "corpora", "bbc"),
		} {
			if info, err := os.Stat(c); err == nil && info.IsDir() {
				return c
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("BBC corpus (shared/corpora/bbc) not found")
		}
		dir = parent
	}
}

// writeTree creates files (slash-separated relative path -> content) under
// a temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLoadDir(t *testing.T) {
	root := writeTree(t, map[string]string{
		"b/second.txt":        "Second title\n\nSecond body.\n",
		"a/first.md":          "# First title\n\nFirst body.\n",
		"a/first.txt":         "Duplicate of a/first\n\nBody.\n",
		"c/page.HTML":         "<html><head><title>Page title</title></head><body><p>Page body text.</p></body></html>",
		"d/feed.jsonl":        "{\"id\": \"feed-1\", \"title\": \"Feed one\", \"text\": \"One.\"}\nnot json\n{\"id\": \"b/second\", \"title\": \"Clash\", \"text\": \"Clashes with a file ID.\"}\n",
		"d/array.json":        `[{"id": "arr-1", "title": "Array one", "text": "Array body."}]`,
		"e/empty.txt":         "",
		"e/blank.md":          "  \n\n ",
		"e/binary.txt":        "PK\x03\x04\x00\x00binary",
		"e/big.txt":           "Big\n\n" + strings.Repeat("word ", 300),
		"e/bad.json":          `{"title": "x", "text": }`,
		"e/notext.json":       `{"title": "x"}`,
		"ignored/notes.pdf":   "%PDF",
		"ignored/README":      "no extension",
		".hidden/secret.txt":  "Hidden\n\nNot loaded.\n",
		"a/.draft.txt":        "Draft\n\nNot loaded.\n",
		"deep/er/still/x.txt": "Deep title\n\nDeep body.\n",
	})
	arts, problems, err := LoadDir(context.Background(), root, Options{MaxFileBytes: 1000})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}

	var ids []string
	for _, a := range arts {
		ids = append(ids, a.ID+"<"+a.Path)
	}
	wantIDs := []string{
		"a/first<a/first.md",
		"arr-1<d/array.json",
		"b/second<b/second.txt",
		"c/page<c/page.HTML",
		"deep/er/still/x<deep/er/still/x.txt",
		"feed-1<d/feed.jsonl",
	}
	if strings.Join(ids, "\n") != strings.Join(wantIDs, "\n") {
		t.Errorf("articles (ID<Path):\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(wantIDs, "\n"))
	}

	wantProblems := []Problem{
		{Path: "a/first.txt", Reason: `duplicate ID "a/first" (already loaded from a/first.md)`},
		{Path: "d/feed.jsonl", Line: 2, Reason: "invalid JSON at line 1: invalid character 'o' in literal null (expecting 'u')"},
		{Path: "d/feed.jsonl", Line: 3, Reason: `duplicate ID "b/second" (already loaded from b/second.txt)`},
		{Path: "e/bad.json", Reason: "invalid JSON at line 1: invalid character '}' looking for beginning of value"},
		{Path: "e/big.txt", Reason: "larger than 1000 bytes limit (1505 bytes)"},
		{Path: "e/binary.txt", Reason: "binary content"},
		{Path: "e/blank.md", Reason: "empty file"},
		{Path: "e/empty.txt", Reason: "empty file"},
		{Path: "e/notext.json", Reason: `no text (expected a "text", "body" or "content" field)`},
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems:\n%v\nwant:\n%v", problems, wantProblems)
	}
	for i, w := range wantProblems {
		if problems[i] != w {
			t.Errorf("problem %d = %+v, want %+v", i, problems[i], w)
		}
	}
}

func TestLoadDirRootErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file.txt")
	if err := os.WriteFile(file, []byte("Title\n\nBody.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		root string
	}{
		{"missing", filepath.Join(dir, "nope")},
		{"a file", file},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadDir(context.Background(), tc.root, Options{})
			if err == nil {
				t.Fatal("LoadDir succeeded, want an error")
			}
		})
	}
	t.Run("symbolic link to a directory", func(t *testing.T) {
		target := writeTree(t, map[string]string{"sub/a.txt": "Title\n\nBody.\n"})
		link := filepath.Join(t.TempDir(), "corpus")
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("no symlinks: %v", err)
		}
		arts, _, err := LoadDir(context.Background(), link, Options{})
		if err != nil || len(arts) != 1 || arts[0].ID != "sub/a" {
			t.Errorf("got %+v, %v; want sub/a", arts, err)
		}
	})
	t.Run("empty directory", func(t *testing.T) {
		arts, problems, err := LoadDir(context.Background(), t.TempDir(), Options{})
		if err != nil || len(arts) != 0 || len(problems) != 0 {
			t.Errorf("got %v %v %v, want nothing", arts, problems, err)
		}
	})
}

func TestLoadDirUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("permissions are not enforced here")
	}
	root := writeTree(t, map[string]string{
		"ok.txt":         "Title\n\nBody.\n",
		"locked.txt":     "Title\n\nBody.\n",
		"closed/in.txt":  "Title\n\nBody.\n",
		"closed/in2.txt": "Title\n\nBody.\n",
	})
	if err := os.Chmod(filepath.Join(root, "locked.txt"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "closed"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(root, "closed"), 0o755) })
	arts, problems, err := LoadDir(context.Background(), root, Options{})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if len(arts) != 1 || arts[0].ID != "ok" {
		t.Errorf("articles = %+v, want only ok", arts)
	}
	want := []Problem{
		{Path: "closed", Reason: "unreadable: permission denied"},
		{Path: "locked.txt", Reason: "unreadable: permission denied"},
	}
	if len(problems) != 2 || problems[0] != want[0] || problems[1] != want[1] {
		t.Errorf("problems = %+v, want %+v", problems, want)
	}
}

func TestLoadDirCanceled(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		files[n+".txt"] = "Title\n\nBody.\n"
	}
	root := writeTree(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	arts, _, err := LoadDir(ctx, root, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if len(arts) != 0 {
		t.Errorf("got %d articles after cancellation", len(arts))
	}
}

func TestLoadDirRepeatedLines(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		files[n+".txt"] = "Title " + n + "\n\nTEHRAN (Tasnim) – Body of " + n + ".\n\nFollow our live coverage at the usual place\n"
	}
	arts, _, err := LoadDir(context.Background(), writeTree(t, files), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if strings.Contains(a.Text, "live coverage") || a.Source != "Tasnim News Agency" {
			t.Errorf("%s: source %q, text %q", a.ID, a.Source, a.Text)
		}
		if a.Hash != computeHash(a) {
			t.Errorf("%s: stale hash", a.ID)
		}
	}
}

func TestLoadDirSeeds(t *testing.T) {
	arts, problems, err := LoadDir(context.Background(), "testdata/corpus", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	tests := []struct {
		id, title, source, firstPara, lastPara string
	}{
		{
			id:     "seeds/000_e22c96a855d117b2",
			title:  "Iran’s missile might not up for negotiations: Army commander",
			source: "Press TV",
			// The photo caption is content; only its credit "(Photo by AP)" goes.
			firstPara: "This picture released by the official website of the Iranian Defense Ministry on July 22, 2017, shows the Sayyad-3 air defense missiles during the inauguration of its production line.",
			lastPara:  "Iran has been providing Syria with military advisory assistance in its fight against terrorism on the request of the Damascus government, helping turn around the battle which has been going on for more than six years now.",
		},
		{
			id:        "seeds/004_8dd51ad8917eaa10",
			title:     "Iran’s defense programs not influenced by diplomatic ties: Commander",
			source:    "Tasnim News Agency",
			firstPara: "TEHRAN (Tasnim) – Deputy Chief of Staff of the Iranian Armed Forces Brigadier General Massoud Jazayeri reassured the Iranian nation that the improvement of the country’s defense and missile equipment will not be stopped even for a moment under the influence of diplomatic relations.",
			lastPara:  "He also underlined that Iranian defense capabilities serve to safeguard the country’s sovereignty, independence and territorial integrity and also help the fight against terrorism and extremism.",
		},
	}
	if len(arts) != len(tests) {
		t.Fatalf("got %d articles, want %d", len(arts), len(tests))
	}
	for i, tc := range tests {
		a := arts[i]
		t.Run(tc.id, func(t *testing.T) {
			if a.ID != tc.id || a.Title != tc.title || a.Source != tc.source {
				t.Errorf("got ID %q title %q source %q", a.ID, a.Title, a.Source)
			}
			flat := strings.Join(strings.Fields(Fold(a.Text)), " ")
			for _, bad := range []string{"SHARE THIS ARTICLE", "Roku", "alternate addresses", "News / Defense", "By Tasnim News Agency", "(Photo by AP)", "presstv.co.uk"} {
				if strings.Contains(flat, bad) {
					t.Errorf("Text contains %q", bad)
				}
			}
			paras := strings.Split(a.Text, "\n\n")
			if paras[0] != tc.firstPara {
				t.Errorf("first paragraph = %q", paras[0])
			}
			if paras[len(paras)-1] != tc.lastPara {
				t.Errorf("last paragraph = %q", paras[len(paras)-1])
			}
			if !strings.Contains(a.Text, "“Our missile might") && tc.source == "Press TV" {
				t.Errorf("curly quotes not kept")
			}
		})
	}
}

// TestLoadDirBBCKeepsBody checks that real articles lose nothing but their
// title line: every body line of a sample of BBC files is in Text.
func TestLoadDirBBCKeepsBody(t *testing.T) {
	bbc := findBBC(t)
	sample := []string{"sport/104.txt", "sport/107.txt", "sport/179.txt", "politics/174.txt", "business/151.txt", "entertainment/275.txt", "tech/001.txt", "politics/389.txt"}
	root := t.TempDir()
	for _, rel := range sample {
		data, err := os.ReadFile(filepath.Join(bbc, rel))
		if err != nil {
			t.Skipf("BBC file absent: %v", err)
		}
		if !utf8.Valid(data) {
			continue
		}
		dst := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	arts, problems, err := LoadDir(context.Background(), root, Options{})
	if err != nil || len(problems) != 0 {
		t.Fatalf("LoadDir: %v %v", err, problems)
	}
	for _, a := range arts {
		data, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(a.Path)))
		lines := strings.Split(string(data), "\n")
		if a.Title != oneLine(lines[0]) {
			t.Errorf("%s: Title = %q, want %q", a.ID, a.Title, lines[0])
		}
		if a.Source != "" {
			t.Errorf("%s: Source = %q, want none", a.ID, a.Source)
		}
		var want []string
		for _, l := range lines[1:] {
			if l = strings.TrimSpace(l); l != "" {
				want = append(want, l)
			}
		}
		if got := strings.Join(strings.Fields(a.Text), " "); got != strings.Join(strings.Fields(strings.Join(want, " ")), " ") {
			t.Errorf("%s: body changed:\n got %q\nwant %q", a.ID, a.Text, strings.Join(want, "\n"))
		}
	}
}

func TestLoadDirBBCAll(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	bbc := findBBC(t)
	arts, problems, err := LoadDir(context.Background(), bbc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) < 2225 || len(problems) != 0 {
		t.Errorf("got %d articles and problems %v, want 2225+ and none", len(arts), problems)
	}
	if !sort.SliceIsSorted(arts, func(i, j int) bool { return arts[i].ID < arts[j].ID }) {
		t.Errorf("articles not sorted by ID")
	}
	lost := 0
	for _, a := range arts {
		if a.ID == "sport/199" && !strings.Contains(a.Text, "£15.8m") {
			t.Errorf("sport/199: pound sign lost")
		}
		if a.ID == "README" {
			continue
		}
		// Every article keeps its whole body: the file minus its title line.
		data, err := os.ReadFile(filepath.Join(bbc, filepath.FromSlash(a.Path)))
		if err != nil {
			t.Fatal(err)
		}
		text, err := decode(data)
		if err != nil {
			t.Fatal(err)
		}
		title, rest, _ := strings.Cut(text, "\n")
		if a.Title != oneLine(title) || a.Source != "" || a.Author != "" {
			t.Errorf("%s: title %q source %q author %q", a.ID, a.Title, a.Source, a.Author)
		}
		if strings.Join(strings.Fields(rest), " ") != strings.Join(strings.Fields(a.Text), " ") {
			lost++
			if lost <= 3 {
				t.Errorf("%s: body changed", a.ID)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d BBC articles lost body text", lost)
	}
}

func BenchmarkLoadDirBBC(b *testing.B) {
	bbc := findBBC(b)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		arts, _, err := LoadDir(context.Background(), bbc, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(arts)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}

func TestLoadDirFollowsLinkedFolders(t *testing.T) {
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "story.txt"), []byte("Linked story\n\nIt lives in another folder."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "README.TXT"), []byte("About this corpus\n\nNot an article."), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(other, filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	// A cycle: a link back to the root must not loop forever.
	if err := os.Symlink(root, filepath.Join(other, "loop")); err != nil {
		t.Fatal(err)
	}
	arts, problems, err := LoadDir(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].ID != "linked/story" || len(problems) != 0 {
		var ids []string
		for _, a := range arts {
			ids = append(ids, a.ID)
		}
		t.Fatalf("got articles %v and problems %v, want only linked/story (README skipped)", ids, problems)
	}
}
