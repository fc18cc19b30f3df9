// Package fetch downloads one web page for article ingestion, treating the
// address as hostile: it was typed by a Discord user, so it may point at the
// bot's own machine, the cloud metadata service or the private network
// (server-side request forgery).
//
// Every connection, including those made for redirects, goes through a
// dialer that resolves the host itself and checks each IP against
// Config.Allow (AllowPublic by default), then checks the socket address again
// just before connecting. No proxy is used. The body is capped at
// Config.MaxBytes after decompression and the whole download at
// Config.Timeout.
//
// Fetch does not name, parse or clean the page; that is retrieval's job
// (retrieval.PageName, package article).
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults used for zero fields of Config.
const (
	DefaultMaxBytes     = 5 << 20
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "newsbot/1 (+article ingest)"
)

// maxURLLength bounds the address a user may submit.
const maxURLLength = 2048

// Config configures a Fetcher. The zero value is ready to use.
type Config struct {
	// MaxBytes is the most body bytes accepted, counted after any transparent
	// decompression; a larger page fails with ErrTooLarge. Zero or less means
	// DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds the whole download: DNS, connect, redirects, headers and
	// body. Zero or less means DefaultTimeout.
	Timeout time.Duration
	// MaxRedirects is the most redirects followed. Zero means
	// DefaultMaxRedirects; a negative value follows none.
	MaxRedirects int
	// UserAgent is sent with every request. Empty means DefaultUserAgent.
	UserAgent string
	// Allow decides whether an IP address may be contacted. Nil means
	// AllowPublic. Tests allow exactly their httptest server's address.
	Allow func(netip.Addr) bool
	// Resolver looks up host names. Nil means net.DefaultResolver.
	Resolver Resolver
}

// Page is a downloaded page.
type Page struct {
	// URL is the final address, after redirects.
	URL string
	// ContentType is the response's Content-Type header as sent (parameters
	// such as charset included), or the sniffed type if the server sent none.
	ContentType string
	// Body is the page, decompressed, at most Config.MaxBytes long.
	Body []byte
}

// Fetcher downloads pages. It is safe for concurrent use. It keeps no idle
// connections, so it needs no Close.
type Fetcher struct {
	maxBytes     int64
	timeout      time.Duration
	maxRedirects int
	userAgent    string
	allow        func(netip.Addr) bool
	resolver     Resolver
	dialer       *net.Dialer
	client       *http.Client
}

// New returns a Fetcher for cfg, filling zero fields with defaults.
func New(cfg Config) *Fetcher {
	f := &Fetcher{
		maxBytes:     cfg.MaxBytes,
		timeout:      cfg.Timeout,
		maxRedirects: cfg.MaxRedirects,
		userAgent:    cfg.UserAgent,
		allow:        cfg.Allow,
		resolver:     cfg.Resolver,
	}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxBytes
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	switch {
	case f.maxRedirects == 0:
		f.maxRedirects = DefaultMaxRedirects
	case f.maxRedirects < 0:
		f.maxRedirects = 0
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	if f.allow == nil {
		f.allow = AllowPublic
	}
	if f.resolver == nil {
		f.resolver = net.DefaultResolver
	}
	f.dialer = &net.Dialer{
		Timeout: f.timeout,
		Control: f.control,
	}
	transport := &http.Transport{
		Proxy:                  nil, // HTTP_PROXY and friends must not route around the checks
		DialContext:            f.dialContext,
		TLSHandshakeTimeout:    f.timeout,
		ResponseHeaderTimeout:  f.timeout,
		DisableKeepAlives:      true, // ingestion is rare; no idle connections or goroutines linger
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.client = &http.Client{
		Transport:     transport,
		CheckRedirect: f.checkRedirect,
		// The deadline is set per request through the context in Get.
	}
	return f
}

// Get downloads rawURL and returns the page. Errors are *Error values whose
// messages can be shown to the user as they are; branch on them with
// errors.Is and the Err* sentinels.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (Page, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return Page{}, err
	}

	reqCtx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	// Resolve and check before sending anything, for a clear early error.
	// The dialer checks again on every connection (DNS may change).
	ips, err := f.resolve(reqCtx, "ip", u.Hostname())
	if err != nil {
		return Page{}, f.classify(ctx, reqCtx, u.Hostname(), err)
	}
	if ip, isIP, _ := parseHostIP(u.Hostname()); isIP && ip.Is4() && len(ips) == 1 {
		// Canonicalise legacy numeric forms ("0x7f.1") to dotted quads.
		u.Host = hostWithPort(ips[0].String(), u.Port())
	}

	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, newError(ErrBadURL, err, "%q is not a valid web address", rawURL)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.9,application/json;q=0.8,*/*;q=0.1")

	resp, err := f.client.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return Page{}, f.classify(ctx, reqCtx, u.Hostname(), err)
	}
	defer resp.Body.Close()

	page, err := f.read(resp)
	if err != nil {
		return Page{}, f.classify(ctx, reqCtx, resp.Request.URL.Hostname(), err)
	}
	return page, nil
}

// read checks the response's status, type and size and reads its body.
func (f *Fetcher) read(resp *http.Response) (Page, error) {
	final := resp.Request.URL
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Page{}, newError(ErrStatus, nil, "%s answered %s", final.Host, statusText(resp))
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		// The transport removes the header when it decompresses gzip itself;
		// anything left is an encoding it did not ask for and cannot undo.
		return Page{}, newError(ErrContentType, nil, "the page is compressed with %q, which is not supported", enc)
	}
	contentType := resp.Header.Get("Content-Type")
	mediaType := ""
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return Page{}, newError(ErrContentType, err, "the server sent an unreadable content type %q", truncate(contentType, 100))
		}
		mediaType = mt
		if !acceptedType(mediaType) {
			return Page{}, newError(ErrContentType, nil, "the page is %s; only HTML, plain text, Markdown and JSON can be ingested", truncate(mediaType, 100))
		}
	}
	if resp.ContentLength > f.maxBytes {
		// Refuse early when the server admits it; the limit below still holds
		// when it lies or sends no length.
		return Page{}, newError(ErrTooLarge, nil, "the page is %s, larger than the %s limit",
			formatBytes(resp.ContentLength), formatBytes(f.maxBytes))
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return Page{}, err
	}
	if int64(len(body)) > f.maxBytes {
		return Page{}, newError(ErrTooLarge, nil, "the page is larger than the %s limit", formatBytes(f.maxBytes))
	}

	if mediaType == "" {
		contentType = http.DetectContentType(body)
		mediaType, _, _ = mime.ParseMediaType(contentType)
		if !acceptedType(mediaType) {
			return Page{}, newError(ErrContentType, nil, "the page looks like %s; only HTML, plain text, Markdown and JSON can be ingested", mediaType)
		}
	}
	return Page{
		URL:         final.String(),
		ContentType: contentType,
		Body:        body,
	}, nil
}

// checkRedirect vets each redirect before it is followed: the count, the
// scheme, no downgrade from https to http, no credentials, and (for an early,
// clear error) the target's addresses. The dialer checks the addresses again
// when it connects.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.maxRedirects {
		return newError(ErrTooManyRedirects, nil, "the page redirected more than %d times", f.maxRedirects)
	}
	u := req.URL
	if u.Scheme != "http" && u.Scheme != "https" {
		return newError(ErrScheme, nil, "refused: the page redirected to a %s: address; only http and https URLs can be fetched", truncate(u.Scheme, 20))
	}
	if len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && u.Scheme == "http" {
		return newError(ErrScheme, nil, "refused: the page redirected from https to plain http")
	}
	if u.User != nil {
		return newError(ErrBadURL, nil, "refused: the page redirected to an address with a user name or password")
	}
	if u.Hostname() == "" {
		return newError(ErrBadURL, nil, "refused: the page redirected to an address without a host")
	}
	_, err := f.resolve(req.Context(), "ip", u.Hostname())
	return err
}

// classify turns any error from a download into an *Error. parent is the
// caller's context, reqCtx the one carrying the download's deadline.
func (f *Fetcher) classify(parent, reqCtx context.Context, host string, err error) error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	if parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded) {
		return newError(ErrCanceled, err, "the download of %s was canceled", host)
	}
	var ne net.Error
	if reqCtx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return newError(ErrTimeout, err, "%s took too long to answer (limit %s)", host, f.timeout)
	}
	return newError(ErrUnreachable, err, "could not download the page from %s", host)
}

// parseURL validates a user-supplied address: http or https, a host, no
// credentials. Surrounding whitespace and Discord's <...> embed-suppressing
// brackets are removed.
func parseURL(rawURL string) (*url.URL, error) {
	s := strings.TrimSpace(rawURL)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" {
		return nil, newError(ErrBadURL, nil, "no web address was given")
	}
	if len(s) > maxURLLength {
		return nil, newError(ErrBadURL, nil, "the web address is longer than %d characters", maxURLLength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, newError(ErrBadURL, err, "%q is not a valid web address", truncate(s, 100))
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, newError(ErrScheme, nil, "the address must start with http:// or https://")
	default:
		return nil, newError(ErrScheme, nil, "refused: only http and https URLs can be fetched, not %s:", truncate(u.Scheme, 20))
	}
	if u.User != nil {
		return nil, newError(ErrBadURL, nil, "refused: web addresses with a user name or password are not accepted")
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, newError(ErrBadURL, nil, "%q has no host name", truncate(s, 100))
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// acceptedType reports whether a media type (lower case, no parameters) may
// be ingested.
func acceptedType(mediaType string) bool {
	switch mediaType {
	case "text/html", "text/plain", "text/markdown", "text/x-markdown",
		"application/json", "application/x-ndjson", "application/xhtml+xml":
		return true
	}
	return false
}

// statusText renders a status like "404 Not Found".
func statusText(resp *http.Response) string {
	if t := http.StatusText(resp.StatusCode); t != "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, t)
	}
	return fmt.Sprintf("status %d", resp.StatusCode)
}

// hostWithPort joins a host and an optional port for url.URL.Host.
func hostWithPort(host, port string) string {
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

// truncate shortens s to at most n bytes for messages, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
