package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot/newsbot/retrieval"
)

// fakeResolver answers from a fixed table and fails every other name, so no
// test reaches real DNS. A name with several answers in seq gets them in turn
// (the last one repeating), to imitate DNS rebinding.
type fakeResolver struct {
	mu    sync.Mutex
	table map[string][][]netip.Addr
	calls map[string]int
}

func newFakeResolver(table map[string][]string) *fakeResolver {
	r := &fakeResolver{table: map[string][][]netip.Addr{}, calls: map[string]int{}}
	for name, ips := range table {
		var addrs []netip.Addr
		for _, ip := range ips {
			addrs = append(addrs, netip.MustParseAddr(ip))
		}
		r.table[name] = [][]netip.Addr{addrs}
	}
	return r
}

func (r *fakeResolver) sequence(name string, answers ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.table[name] = nil
	for _, a := range answers {
		r.table[name] = append(r.table[name], []netip.Addr{netip.MustParseAddr(a)})
	}
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	answers, ok := r.table[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := min(r.calls[host], len(answers)-1)
	r.calls[host]++
	return answers[i], nil
}

// newServer starts an httptest server listening on ip (any address in
// 127.0.0.0/8 works on Linux) and closes it when the test ends.
func newServer(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	srv := startServer(t, ip, h)
	t.Cleanup(srv.Close)
	return srv
}

// startServer is newServer without the cleanup, for tests that must close
// the server themselves.
func startServer(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	return srv
}

// allowOnly returns an Allow function that permits exactly ip.
func allowOnly(ip string) func(netip.Addr) bool {
	want := netip.MustParseAddr(ip)
	return func(a netip.Addr) bool { return a == want }
}

// wantKind fails the test unless err is an *Error of the given kind whose
// message reads as a message for a person, not a Go error chain.
func wantKind(t *testing.T, err, kind error) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %q (%T) is not a *fetch.Error", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q has kind %v, want %v", err, fe.Kind, kind)
	}
	for _, internal := range []string{"dial tcp", "context deadline", "net/http", "Get \"", "%!", "lookup "} {
		if strings.Contains(err.Error(), internal) {
			t.Errorf("message %q contains Go internals (%q)", err, internal)
		}
	}
	return fe
}

func TestGetPages(t *testing.T) {
	var gotUA atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/news/story.html", func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.UserAgent())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body><p>Hello</p></body></html>")
	})
	mux.HandleFunc("/notes", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "plain words")
	})
	mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"title":"x"}`)
	})
	mux.HandleFunc("/untyped", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // suppress the server's own sniffing
		fmt.Fprint(w, "<!DOCTYPE html><html><body>sniffed</body></html>")
	})
	mux.HandleFunc("/zipped", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/markdown")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, "# Headline\n\nBody.")
		zw.Close()
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/news/story.html", http.StatusMovedPermanently)
	})
	srv := newServer(t, "127.0.0.1", mux)

	f := New(Config{Allow: allowOnly("127.0.0.1"), Timeout: 5 * time.Second})
	tests := []struct {
		name, url          string
		wantURL, wantType  string
		wantBody, wantName string
	}{
		{"html", srv.URL + "/news/story.html", srv.URL + "/news/story.html", "text/html; charset=utf-8",
			"<html><body><p>Hello</p></body></html>", "story.html"},
		{"plain text", srv.URL + "/notes", srv.URL + "/notes", "text/plain", "plain words", "notes.txt"},
		{"json", srv.URL + "/data", srv.URL + "/data", "application/json", `{"title":"x"}`, "data.json"},
		{"sniffed html", srv.URL + "/untyped", srv.URL + "/untyped", "text/html; charset=utf-8",
			"<!DOCTYPE html><html><body>sniffed</body></html>", "untyped.html"},
		{"gzip decoded", srv.URL + "/zipped", srv.URL + "/zipped", "text/markdown", "# Headline\n\nBody.", "zipped.md"},
		{"redirect followed", srv.URL + "/moved", srv.URL + "/news/story.html", "text/html; charset=utf-8",
			"<html><body><p>Hello</p></body></html>", "story.html"},
		{"discord brackets and spaces", "  <" + srv.URL + "/notes#frag>  ", srv.URL + "/notes", "text/plain", "plain words", "notes.txt"},
		{"decimal IP canonicalised", strings.Replace(srv.URL, "127.0.0.1", "2130706433", 1) + "/notes",
			srv.URL + "/notes", "text/plain", "plain words", "notes.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.Get(context.Background(), tt.url)
			if err != nil {
				t.Fatalf("Get(%s): %v", tt.url, err)
			}
			if page.URL != tt.wantURL {
				t.Errorf("URL = %q, want %q", page.URL, tt.wantURL)
			}
			if page.ContentType != tt.wantType {
				t.Errorf("ContentType = %q, want %q", page.ContentType, tt.wantType)
			}
			if string(page.Body) != tt.wantBody {
				t.Errorf("Body = %q, want %q", page.Body, tt.wantBody)
			}
			if name := retrieval.PageName(page.URL, page.ContentType); name != tt.wantName {
				t.Errorf("PageName = %q, want %q", name, tt.wantName)
			}
		})
	}
	if ua, _ := gotUA.Load().(string); ua != DefaultUserAgent {
		t.Errorf("server saw User-Agent %q, want %q", ua, DefaultUserAgent)
	}
}

func TestGetRefusesAddresses(t *testing.T) {
	resolver := newFakeResolver(map[string][]string{
		"intranet.example": {"192.168.1.10"},
		"loop.example":     {"127.0.0.1"},
		"meta.example":     {"::ffff:169.254.169.254"},
		"mixed.example":    {"93.184.216.34", "10.1.2.3"},
		"v6.example":       {"fd00::1"},
	})
	f := New(Config{Resolver: resolver, Timeout: 2 * time.Second})
	tests := []struct {
		url     string
		kind    error
		message string // exact message, when given
	}{
		{"file:///etc/passwd", ErrScheme, ""},
		{"ftp://example.com/file", ErrScheme, ""},
		{"gopher://example.com/", ErrScheme, ""},
		{"javascript:alert(1)", ErrScheme, ""},
		{"JavaScript:alert(1)", ErrScheme, ""},
		{"data:text/html,<p>x</p>", ErrScheme, ""},
		{"example.com/news", ErrScheme, ""},
		{"", ErrBadURL, ""},
		{"http://user:pass@example.com/", ErrBadURL, ""},
		{"http://user@example.com/", ErrBadURL, ""},
		{"http:///path", ErrBadURL, ""},
		{"http://:80/", ErrBadURL, ""},
		{"http:opaque", ErrBadURL, ""},
		{"http://exa mple.com/", ErrBadURL, ""},
		{"http://256.1.1.1/", ErrBadURL, ""},
		{"http://1.2.3.4.5/", ErrBadURL, ""},
		{"http://" + strings.Repeat("a", 3000) + ".com/", ErrBadURL, ""},
		{"http://127.0.0.1/", ErrForbiddenAddress, "refused: 127.0.0.1 is a loopback address"},
		{"http://127.0.0.1:8080/admin", ErrForbiddenAddress, "refused: 127.0.0.1 is a loopback address"},
		{"http://localhost/", ErrForbiddenAddress, ""},
		{"http://LOCALHOST./", ErrForbiddenAddress, ""},
		{"http://api.localhost/", ErrForbiddenAddress, ""},
		{"http://169.254.169.254/latest/meta-data", ErrForbiddenAddress, "refused: 169.254.169.254 is the cloud metadata address (link-local)"},
		{"http://[::1]/", ErrForbiddenAddress, "refused: ::1 is a loopback address"},
		{"http://[::ffff:127.0.0.1]/", ErrForbiddenAddress, ""},
		{"http://[64:ff9b::a9fe:a9fe]/", ErrForbiddenAddress, ""},
		{"http://[fe80::1%25eth0]/", ErrForbiddenAddress, ""},
		{"http://10.0.0.5/", ErrForbiddenAddress, "refused: 10.0.0.5 is a private address"},
		{"http://100.64.0.1/", ErrForbiddenAddress, ""},
		{"http://0.0.0.0/", ErrForbiddenAddress, ""},
		{"http://0/", ErrForbiddenAddress, ""},
		{"http://2130706433/", ErrForbiddenAddress, "refused: 127.0.0.1 is a loopback address"},
		{"http://0x7f.1/", ErrForbiddenAddress, "refused: 127.0.0.1 is a loopback address"},
		{"http://0177.0.0.1/", ErrForbiddenAddress, "refused: 127.0.0.1 is a loopback address"},
		{"http://127.1/", ErrForbiddenAddress, "refused: 127.0.0.1 is a loopback address"},
		{"https://intranet.example/", ErrForbiddenAddress, "refused: intranet.example resolves to 192.168.1.10, a private address"},
		{"http://loop.example:8080/", ErrForbiddenAddress, ""},
		{"http://meta.example/", ErrForbiddenAddress, ""},
		{"http://mixed.example/", ErrForbiddenAddress, ""},
		{"http://v6.example/", ErrForbiddenAddress, ""},
		{"http://nowhere.example/", ErrUnreachable, "could not find the host nowhere.example"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := f.Get(context.Background(), tt.url)
			fe := wantKind(t, err, tt.kind)
			if tt.message != "" && fe.Error() != tt.message {
				t.Errorf("message = %q, want %q", fe.Error(), tt.message)
			}
		})
	}
}

func TestGetRedirectChecks(t *testing.T) {
	// Both servers are on loopback; Allow permits only 127.0.0.2, so the
	// second server stands for any address an attacker wants to reach.
	var innerHits atomic.Int32
	inner := newServer(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		innerHits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "secret")
	}))
	innerPort := inner.Listener.Addr().(*net.TCPAddr).Port

	var outer *httptest.Server
	outer = newServer(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targets := map[string]string{
			"/to-loopback":    inner.URL + "/",
			"/to-localhost":   fmt.Sprintf("http://localhost:%d/", innerPort),
			"/to-metadata":    "http://169.254.169.254/latest/meta-data/",
			"/to-rebind":      fmt.Sprintf("http://rebind.example:%d/", innerPort),
			"/to-ftp":         "ftp://127.0.0.2/",
			"/to-credentials": strings.Replace(outer.URL, "http://", "http://u:p@", 1) + "/",
			"/to-decimal":     fmt.Sprintf("http://2130706433:%d/", innerPort),
		}
		target, ok := targets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, target, http.StatusFound)
	}))

	resolver := newFakeResolver(nil)
	f := New(Config{Allow: allowOnly("127.0.0.2"), Resolver: resolver, Timeout: 5 * time.Second})
	tests := []struct {
		path string
		kind error
	}{
		{"/to-loopback", ErrForbiddenAddress},
		{"/to-localhost", ErrForbiddenAddress},
		{"/to-metadata", ErrForbiddenAddress},
		{"/to-decimal", ErrForbiddenAddress},
		{"/to-ftp", ErrScheme},
		{"/to-credentials", ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := f.Get(context.Background(), outer.URL+tt.path)
			wantKind(t, err, tt.kind)
		})
	}

	t.Run("dns rebinding caught at dial time", func(t *testing.T) {
		// The early check sees the allowed address; the connection would go
		// to the forbidden one.
		resolver.sequence("rebind.example", "127.0.0.2", "127.0.0.1")
		_, err := f.Get(context.Background(), fmt.Sprintf("http://rebind.example:%d/", innerPort))
		fe := wantKind(t, err, ErrForbiddenAddress)
		if !strings.Contains(fe.Error(), "127.0.0.1") {
			t.Errorf("message %q does not name the refused address", fe)
		}
	})

	if n := innerHits.Load(); n != 0 {
		t.Errorf("the forbidden server received %d requests, want 0", n)
	}
}

func TestCheckRedirect(t *testing.T) {
	f := New(Config{Allow: allowOnly("127.0.0.2"), MaxRedirects: 2, Resolver: newFakeResolver(nil)})
	req := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		next string
		via  []string
		kind error // nil: allowed
	}{
		{"https to https", "https://127.0.0.2/b", []string{"https://127.0.0.2/a"}, nil},
		{"http to https", "https://127.0.0.2/b", []string{"http://127.0.0.2/a"}, nil},
		{"https to http downgrade", "http://127.0.0.2/b", []string{"https://127.0.0.2/a"}, ErrScheme},
		{"within the limit", "http://127.0.0.2/c", []string{"http://127.0.0.2/a", "http://127.0.0.2/b"}, nil},
		{"over the limit", "http://127.0.0.2/d", []string{"http://127.0.0.2/a", "http://127.0.0.2/b", "http://127.0.0.2/c"}, ErrTooManyRedirects},
		{"forbidden target", "http://127.0.0.1/", []string{"http://127.0.0.2/a"}, ErrForbiddenAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var via []*http.Request
			for _, v := range tt.via {
				via = append(via, req(v))
			}
			err := f.checkRedirect(req(tt.next), via)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("checkRedirect: %v, want nil", err)
				}
				return
			}
			wantKind(t, err, tt.kind)
		})
	}
}

func TestTransportIgnoresProxyEnvironment(t *testing.T) {
	// HTTP_PROXY would send every request, whatever its address, to the
	// proxy, which would then connect on our behalf past every check.
	tr, ok := New(Config{}).client.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil {
		t.Fatal("the transport must have a nil Proxy")
	}
}

func TestControlChecksDialledAddress(t *testing.T) {
	f := New(Config{Allow: allowOnly("127.0.0.2")})
	if err := f.control("tcp4", "127.0.0.2:80", nil); err != nil {
		t.Errorf("control refused an allowed address: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "[::ffff:127.0.0.1]:80", "not-an-address"} {
		wantKind(t, f.control("tcp", addr, nil), ErrForbiddenAddress)
	}
}

// gzipBomb returns a gzip stream of concatenated members that inflates to
// sizeMiB MiB of zeros while being a few tens of KiB on the wire.
func gzipBomb(t *testing.T, sizeMiB int) []byte {
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
	return bytes.Repeat(member.Bytes(), sizeMiB)
}

func TestGetResponseChecks(t *testing.T) {
	bomb := gzipBomb(t, 50)
	mux := http.NewServeMux()
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("a"), 1024))
	})
	mux.HandleFunc("/big-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("a"), 1025))
	})
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for range 64 {
			w.Write(bytes.Repeat([]byte("a"), 100))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/endless-bomb", func(w http.ResponseWriter, r *http.Request) {
		// Without a cap on decompressed bytes the client would read until
		// its timeout instead of stopping at the limit.
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		for range 100_000 {
			if _, err := w.Write(bomb[:len(bomb)/50]); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/brotli", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "br")
		w.Write([]byte{0x1b, 0x03})
	})
	mux.HandleFunc("/png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
	})
	mux.HandleFunc("/untyped-png", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	})
	mux.HandleFunc("/bad-type", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; ;;=")
		w.Write([]byte("x"))
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		// /hop/N redirects N times before the page.
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/hop/"), "%d", &n)
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "arrived")
	})
	srv := newServer(t, "127.0.0.1", mux)
	allow := allowOnly("127.0.0.1")

	tests := []struct {
		name    string
		cfg     Config
		path    string
		kind    error // nil: success
		message string
	}{
		{"body at the limit", Config{MaxBytes: 1024}, "/exact", nil, ""},
		{"declared length over the limit", Config{MaxBytes: 1024}, "/big-declared", ErrTooLarge,
			"the page is 1025 bytes, larger than the 1 KiB limit"},
		{"chunked body over the limit", Config{MaxBytes: 1024}, "/big-chunked", ErrTooLarge,
			"the page is larger than the 1 KiB limit"},
		{"gzip bomb", Config{}, "/bomb", ErrTooLarge, "the page is larger than the 5 MiB limit"},
		{"endless gzip stream", Config{MaxBytes: 2 << 20}, "/endless-bomb", ErrTooLarge, "the page is larger than the 2 MiB limit"},
		{"unsupported encoding", Config{}, "/brotli", ErrContentType, ""},
		{"image", Config{}, "/png", ErrContentType,
			"the page is image/png; only HTML, plain text, Markdown and JSON can be ingested"},
		{"sniffed image", Config{}, "/untyped-png", ErrContentType, ""},
		{"malformed content type", Config{}, "/bad-type", ErrContentType, ""},
		{"not found", Config{}, "/gone", ErrStatus, "127.0.0.1:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:] + " answered 404 Not Found"},
		{"server error", Config{}, "/broken", ErrStatus, ""},
		{"redirect loop", Config{}, "/loop", ErrTooManyRedirects, "the page redirected more than 5 times"},
		{"redirects within the limit", Config{MaxRedirects: 2}, "/hop/2", nil, ""},
		{"redirects over the limit", Config{MaxRedirects: 2}, "/hop/3", ErrTooManyRedirects, ""},
		{"redirects disabled", Config{MaxRedirects: -1}, "/hop/1", ErrTooManyRedirects, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Allow = allow
			cfg.Timeout = 5 * time.Second
			page, err := New(cfg).Get(context.Background(), srv.URL+tt.path)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if len(page.Body) == 0 {
					t.Error("empty body")
				}
				return
			}
			fe := wantKind(t, err, tt.kind)
			if tt.message != "" && fe.Error() != tt.message {
				t.Errorf("message = %q, want %q", fe.Error(), tt.message)
			}
		})
	}
}

func TestGetTimeouts(t *testing.T) {
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-stop:
				return
			case <-tick.C:
				w.Write([]byte("x"))
				w.(http.Flusher).Flush()
			}
		}
	})
	srv := newServer(t, "127.0.0.1", mux)
	t.Cleanup(func() { close(stop) }) // runs before srv.Close, so blocked handlers return
	const timeout = 300 * time.Millisecond
	f := New(Config{Allow: allowOnly("127.0.0.1"), Timeout: timeout})

	tests := []struct {
		name string
		path string
		ctx  func() (context.Context, context.CancelFunc)
		kind error
	}{
		{"never answers", "/silent", nil, ErrTimeout},
		{"trickles the body", "/trickle", nil, ErrTimeout},
		{"caller deadline", "/silent", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, ErrTimeout},
		{"caller cancels", "/trickle", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, ErrCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			start := time.Now()
			_, err := f.Get(ctx, srv.URL+tt.path)
			elapsed := time.Since(start)
			wantKind(t, err, tt.kind)
			if elapsed > timeout+time.Second {
				t.Errorf("Get took %v, want about %v", elapsed, timeout)
			}
		})
	}
}

func TestGetLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		stop := make(chan struct{})
		bomb := gzipBomb(t, 10)
		mux := http.NewServeMux()
		mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>ok</p>")
		})
		mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		})
		mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			for {
				select {
				case <-r.Context().Done():
					return
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					w.Write([]byte("x"))
					w.(http.Flusher).Flush()
				}
			}
		})
		srv := startServer(t, "127.0.0.1", mux)
		defer srv.Close()
		defer close(stop)

		f := New(Config{Allow: allowOnly("127.0.0.1"), Timeout: 200 * time.Millisecond, MaxBytes: 1 << 20})
		for _, path := range []string{"/ok", "/bomb", "/trickle", "/ok"} {
			f.Get(context.Background(), srv.URL+path)
		}
	}()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
