package commands

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fetch"
)

// The tests in this file feed the bot hostile or malformed input through
// the real discordgo session and the fake Discord, and check two things a
// user would notice: the clear message they get, and that nothing else is
// affected (no file saved, the index unchanged, the next ordinary /ask still
// answered). Cases already covered by TestIngestRefusals,
// TestIngestPathTraversal, TestNobodyPinged and TestErrorsShownPlainly are
// not repeated here.

const normalQuestion = "Will Iran allow inspections of its military sites?"

// unaffected checks that the bot still works as before after a bad input:
// the corpus holds no ingested file, the index holds the articles it held,
// and an ordinary /ask from another user is answered with citations.
func (e *env) unaffected(t *testing.T, articles int) {
	t.Helper()
	if got := ingestedFiles(t, e.corpus); len(got) != 0 {
		t.Errorf("files were saved: %v", got)
	}
	if got := len(e.ix.Articles()); got != articles {
		t.Errorf("the index holds %d articles, want the %d it held before", got, articles)
	}
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": normalQuestion}, fakediscord.UserSpec{Username: "bystander"})
	e.handle(i)
	checkCitedAnswer(t, e.response(i), normalQuestion, e.ix)
}

// maskedLink finds a Markdown link whose text hides its address, not
// preceded by the backslash that makes Discord show it as written.
var maskedLink = regexp.MustCompile(`(^|[^\\])\[[^\]]*\]\(`)

func TestAskBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	articles := len(e.ix.Articles())
	tests := []struct {
		name     string
		question string
		// refusal, when set, is part of the ephemeral reply expected
		// instead of an answer.
		refusal string
		// echo is the question as the answer must quote it (first line,
		// after "> "); empty means the question itself.
		echo string
		// asked is the question as the buttons and the feedback log read it
		// back; empty means the question itself.
		asked string
		// absent must not appear anywhere in what the bot sent.
		absent []string
	}{
		{name: "empty", question: "", refusal: "Please type a question"},
		{name: "whitespace only", question: " \t\n  \u00a0\u3000 ", refusal: "Please type a question"},
		{name: "6000 characters", question: strings.Repeat("Iran says ", 599) + "Iran says?", refusal: "Your question is 6000 characters long; please keep it under 500"},
		{
			name:     "zero-width and right-to-left override",
			question: "Will\u200b Iran\u200d allow\ufeff inspections of its \u202emilitary\u202c sites?\u2066\u2069",
			echo:     normalQuestion, asked: normalQuestion,
			absent: []string{"\u202e", "\u202c", "\u200d", "\ufeff", "\u2066"},
		},
		{
			name:     "everyone and role mentions",
			question: "@everyone <@&123> <@!42> @here will Iran allow inspections of its military sites?",
			absent:   []string{"@everyone", "@here", "<@&123>", "<@!42>"},
		},
		{
			name:     "masked link",
			question: "[click here for the answer](https://evil.example/login) will Iran allow inspections of its military sites?",
			echo:     `\[click here for the answer\](https\://evil.example/login) will Iran allow inspections of its military sites?`,
		},
		{
			name:     "code fence",
			question: "```js alert(1)``` will Iran allow inspections of its military sites?",
			echo:     "\\`\\`\\`js alert(1)\\`\\`\\` will Iran allow inspections of its military sites?",
			absent:   []string{"```"},
		},
		{
			name:     "spoiler, heading and emphasis",
			question: "# ||**Will Iran allow inspections of its military sites?**||",
			echo:     `\# \|\|\*\*Will Iran allow inspections of its military sites?\*\*\|\|`,
		},
		{name: "Persian", question: "آیا ایران اجازه بازرسی از سایت های نظامی خود را می دهد؟"},
		{name: "French", question: "L'Iran autorisera-t-il l'inspection de ses sites militaires ?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.fake.Requests())
			i := fakediscord.CommandInteraction("ask", map[string]any{"question": tt.question}, member)
			e.handle(i)
			m := e.response(i)
			sent := sentSince(e.fake, before)
			for _, s := range tt.absent {
				if strings.Contains(sent, s) {
					t.Errorf("the bot sent %q: %s", s, sent)
				}
			}
			for _, c := range sentContents(e.fake, before) {
				if maskedLink.MatchString(c) {
					t.Errorf("the bot sent a masked link: %q", c)
				}
			}
			if strings.Contains(m.Content, genericFailure) {
				t.Fatalf("a generic failure instead of a clear message: %q", m.Content)
			}
			if tt.refusal != "" {
				if !isEphemeral(m) || !strings.Contains(m.Content, tt.refusal) {
					t.Errorf("reply = %q (ephemeral %v), want an ephemeral %q", m.Content, isEphemeral(m), tt.refusal)
				}
				if len(m.Content) > 300 {
					t.Errorf("the refusal repeats the input: %d characters", len(m.Content))
				}
			} else {
				if isEphemeral(m) || !answered(m) {
					t.Fatalf("reply = %+v, want a public answer with buttons", m)
				}
				echo := tt.echo
				if echo == "" {
					echo = neutralise(tt.question)
				}
				if first, _, _ := strings.Cut(m.Content, "\n"); first != "> "+echo {
					t.Errorf("first line = %q, want %q", first, "> "+echo)
				}
				asked := tt.asked
				if asked == "" {
					asked = tt.question
				}
				if got := votedQuestion(t, e, m); got != asked {
					t.Errorf("the feedback log reads the question back as %q, want %q", got, asked)
				}
				t.Logf("%s", m.Content)
			}
			if v := e.fake.MentionViolations(); len(v) != 0 {
				t.Errorf("messages without empty allowed mentions: %+v", v)
			}
			e.unaffected(t, articles)
		})
	}
}

// sentSince joins what the bot sent to the fake Discord after the first n
// requests: decoded JSON payloads (so that escapes don't hide the text), or
// raw bodies.
func sentSince(fake *fakediscord.Server, n int) string {
	var b strings.Builder
	for _, r := range fake.Requests()[n:] {
		switch {
		case r.JSON != nil:
			fmt.Fprintln(&b, r.JSON)
		case r.JSONList != nil:
			fmt.Fprintln(&b, r.JSONList)
		default:
			b.Write(r.Body)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// sentContents returns the message texts the bot sent to the fake Discord
// after the first n requests.
func sentContents(fake *fakediscord.Server, n int) []string {
	var out []string
	for _, r := range fake.Requests()[n:] {
		p := r.JSON
		if d, ok := p["data"].(map[string]any); ok {
			p = d
		}
		if c, ok := p["content"].(string); ok && c != "" {
			out = append(out, c)
		}
	}
	return out
}

// votedQuestion presses 👍 under an answer and returns the question the
// feedback log recorded for it.
func votedQuestion(t *testing.T, e *env, m *discordgo.Message) string {
	t.Helper()
	log := e.router.cfg.FeedbackLog
	before := ""
	if b, err := os.ReadFile(log); err == nil {
		before = string(b)
	}
	vote := fakediscord.ComponentInteraction(idVoteUp, m, member)
	e.handle(vote)
	after := readAll(t, log)
	line := strings.TrimSpace(strings.TrimPrefix(after, before))
	var fb feedback
	if err := json.Unmarshal([]byte(line), &fb); err != nil {
		t.Fatalf("feedback line %q: %v", line, err)
	}
	return fb.Question
}

// fakeResolver answers host names from a table and fails every other name,
// so that nothing is ever looked up on the network.
type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := r[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// serveOn starts an HTTP server listening on ip (any port) and counts the
// requests it receives.
func serveOn(t *testing.T, ip string, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

// gzipBomb is a gzip stream of members that each inflate to 1 MiB of
// zeros: about 1 KiB sent per MiB claimed.
func gzipBomb(t *testing.T, mib int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), mib)
}

// streamTransport serves GET requests for one path itself, with a body of
// size bytes generated as it is read, and sends everything else on to
// next. It counts the body bytes the client read.
type streamTransport struct {
	next http.RoundTripper
	path string
	size int64
	read atomic.Int64
}

func (s *streamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != s.path {
		return s.next.RoundTrip(r)
	}
	body := &countingReader{r: io.LimitReader(repeatByte('a'), s.size), n: &s.read}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/plain"}},
		Body:          io.NopCloser(body),
		ContentLength: s.size,
		Request:       r,
	}, nil
}

// repeatByte is an endless reader of one byte.
type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestIngestBadInput(t *testing.T) {
	t.Parallel()
	// A loopback server at 127.0.0.2 stands for a public site: the
	// fetcher's policy is the real one (AllowPublic) plus that one address.
	article := []byte("<html><head><title>Zorblax festival</title></head><body><article><p>" + strings.Repeat("The Zorblax festival drew twelve thousand visitors to Quimper. ", 20) + "</p></article></body></html>")
	bomb := gzipBomb(t, 50)
	site, _ := serveOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bomb.html":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		case "/to-loopback":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case "/article.html":
			w.Header().Set("Content-Type", "text/html")
			w.Write(article)
		default:
			http.NotFound(w, r)
		}
	}))
	// A service on 127.0.0.1 that must never be reached.
	internal, internalHits := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(article)
	}))
	sitePort := site.Listener.Addr().(*net.TCPAddr).Port
	allowed := netip.MustParseAddr("127.0.0.2")
	resolver := fakeResolver{
		"news.example":          {allowed},
		"intranet.example":      {netip.MustParseAddr("10.20.30.40")},
		"split-horizon.example": {allowed, netip.MustParseAddr("192.168.1.10")},
		"metadata.example":      {netip.MustParseAddr("169.254.169.254")},
	}
	stream := &streamTransport{path: "/attachments/big/50mib.txt", size: 50 << 20}
	e := newEnv(t, envOptions{config: func(c *Config) {
		c.Fetcher = adapt.Fetcher{Fetcher: fetch.New(fetch.Config{
			MaxBytes: DefaultMaxUploadBytes, // as bot serve configures it
			Resolver: resolver,
			Allow:    func(ip netip.Addr) bool { return ip == allowed || fetch.AllowPublic(ip) },
		})}
	}})
	stream.next = e.ds.Client.Transport
	e.ds.Client.Transport = stream
	articles := len(e.ix.Articles())

	// The site works: an article from it is fetched and saved, so the
	// refusals below are the fetcher's policy, not a broken server.
	check := fakediscord.CommandInteraction("ingest", map[string]any{"url": fmt.Sprintf("http://news.example:%d/article.html", sitePort)}, admin)
	e.handle(check)
	if c := e.response(check).Content; !strings.Contains(c, "can now be asked about") {
		t.Fatalf("ingesting a page from the allowed site: %q", c)
	}
	if err := os.RemoveAll(filepath.Join(e.corpus, ingestDir)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ix.Reindex(context.Background(), e.corpus, nil); err != nil {
		t.Fatal(err)
	}

	declared50 := e.fake.NewAttachment("huge.txt", []byte(ingestArticle))
	declared50.Size = 50 << 20
	lying := e.fake.NewAttachment("small.txt", []byte(ingestArticle))
	lying.URL = "https://cdn.discordapp.com" + stream.path
	lying.Size = 2000

	tests := []struct {
		name string
		opts map[string]any
		want string
		// noDownload is set when the bot must refuse before downloading.
		noDownload bool
	}{
		{name: "declared 50 MB file", opts: map[string]any{"file": declared50}, want: "That file is 50 MiB; the limit is 10 MiB.", noDownload: true},
		{name: "50 MB download behind a small declared size", opts: map[string]any{"file": lying}, want: "That file is larger than the 10 MiB limit."},
		{name: "gzip bomb", opts: map[string]any{"url": fmt.Sprintf("http://news.example:%d/bomb.html", sitePort)}, want: "the page is larger than the 10 MiB limit"},
		{name: "cloud metadata address", opts: map[string]any{"url": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"}, want: "169.254.169.254 is the cloud metadata address"},
		{name: "name resolving to the metadata address", opts: map[string]any{"url": "http://metadata.example/latest/meta-data"}, want: "metadata.example resolves to 169.254.169.254"},
		{name: "loopback with a port", opts: map[string]any{"url": internal.URL + "/admin"}, want: "127.0.0.1 is a loopback address"},
		{name: "loopback in decimal", opts: map[string]any{"url": "http://2130706433/"}, want: "127.0.0.1 is a loopback address"},
		{name: "localhost", opts: map[string]any{"url": "http://localhost:8080/"}, want: "this machine"},
		{name: "IPv6 loopback", opts: map[string]any{"url": "http://[::1]/"}, want: "::1 is a loopback address"},
		{name: "redirect to loopback", opts: map[string]any{"url": fmt.Sprintf("http://news.example:%d/to-loopback?to=%s/secret", sitePort, internal.URL)}, want: "127.0.0.1 is a loopback address"},
		{name: "redirect to a file URL", opts: map[string]any{"url": fmt.Sprintf("http://news.example:%d/to-loopback?to=file:///etc/passwd", sitePort)}, want: "redirected to a file: address"},
		{name: "host resolving to a private address", opts: map[string]any{"url": "http://intranet.example/wiki"}, want: "intranet.example resolves to 10.20.30.40, a private address"},
		{name: "host with a public and a private address", opts: map[string]any{"url": fmt.Sprintf("http://split-horizon.example:%d/article.html", sitePort)}, want: "resolves to 192.168.1.10, a private address"},
		{name: "credentials in the URL", opts: map[string]any{"url": "http://admin:hunter2@news.example/"}, want: "user name or password"},
		{name: "gopher URL", opts: map[string]any{"url": "gopher://news.example/1"}, want: "only http and https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.fake.Requests())
			i := fakediscord.CommandInteraction("ingest", tt.opts, admin)
			e.handle(i)
			m := e.response(i)
			if !isEphemeral(m) || !strings.Contains(m.Content, tt.want) {
				t.Errorf("reply = %q, want an ephemeral message containing %q", m.Content, tt.want)
			}
			if strings.Contains(m.Content, genericFailure) {
				t.Errorf("a generic failure instead of a clear message")
			}
			t.Logf("%s", m.Content)
			if tt.noDownload {
				for _, r := range e.fake.Requests()[before:] {
					if strings.HasPrefix(r.Path, "/attachments/") {
						t.Errorf("the bot downloaded %s before refusing it", r.Path)
					}
				}
			}
			e.unaffected(t, articles)
		})
	}
	if n := internalHits.Load(); n != 0 {
		t.Errorf("the loopback service was reached %d times", n)
	}
	if n := stream.read.Load(); n > DefaultMaxUploadBytes+1+64<<10 {
		t.Errorf("the bot read %d bytes of the 50 MB download, want at most the 10 MiB limit", n)
	}
	var leftovers []string
	filepath.WalkDir(filepath.Dir(e.corpus), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, ".ingest-") {
			leftovers = append(leftovers, p)
		}
		return nil
	})
	if len(leftovers) > 0 {
		t.Errorf("files left behind: %v", leftovers)
	}
}

// TestIngestForeignPathsStayInside checks that Windows-style, absolute and
// hidden names given to an attachment cannot place a file outside the
// ingest folder, nor save one the loader would skip.
func TestIngestForeignPathsStayInside(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	root := filepath.Dir(e.corpus)
	tests := []struct{ name, saved string }{
		{`..\..\evil.txt`, "evil.txt"},
		{`C:\Windows\System32\drivers\etc\hosts.txt`, "hosts.txt"},
		{"/etc/cron.d/job.md", "job.md"},
		{"ingested/../../../escape.txt", "escape.txt"},
		{".hidden.txt", "hidden.txt"},
		{"...txt", "article.txt"},
	}
	for n, tt := range tests {
		// Different bytes each time, so that no file is recognised as
		// already saved.
		data := fmt.Sprintf("Story number %d\n\nThe town council of Quimper met on day %d and voted on the Zorblax festival budget.", n, n)
		i := fakediscord.CommandInteraction("ingest", map[string]any{"file": e.fake.NewAttachment(tt.name, []byte(data))}, admin)
		e.handle(i)
		if c := e.response(i).Content; !strings.Contains(c, "Saved as `ingested/"+tt.saved+"`") {
			t.Errorf("%q: reply = %q, want it saved as ingested/%s", tt.name, c, tt.saved)
		}
	}
	inside := filepath.Join(e.corpus, ingestDir)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Dir(p) != inside && filepath.Dir(p) != e.corpus {
			t.Errorf("a file was written outside the ingest folder: %s", p)
		}
		return nil
	})
	for _, tt := range tests {
		for _, dir := range []string{filepath.Dir(root), root, e.corpus} {
			if _, err := os.Stat(filepath.Join(dir, tt.saved)); err == nil {
				t.Errorf("%s was written to %s", tt.saved, dir)
			}
		}
	}
	for _, f := range ingestedFiles(t, e.corpus) {
		if strings.HasPrefix(f, ".") {
			t.Errorf("a dot file was saved, which the loader skips: %s", f)
		}
	}
	if got, want := len(e.ix.Articles()), 2+len(tests); got != want {
		t.Errorf("%d articles indexed, want %d", got, want)
	}
}
