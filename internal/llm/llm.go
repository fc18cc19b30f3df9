// Package llm is the one place that talks to an OpenAI-compatible API
// (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter) through
// go-openai. It adds what go-openai leaves out: a normalised base URL, a
// timeout on every attempt and on the HTTP client, retries with backoff for
// rate limits and transient failures, a cap on concurrent requests, batched
// embeddings, and errors that callers can classify and that never carry the
// API key.
//
// The answer pipeline uses Chat; the retrieval embedder uses Embed. The
// package knows nothing of prompts, passages or Discord.
package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultBaseURL is the API used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1"

// Defaults for the zero values of Config.
const (
	DefaultTimeout       = 60 * time.Second
	DefaultMaxRetries    = 3
	DefaultMaxConcurrent = 4
	DefaultBackoffBase   = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultEmbedBatch    = 64
)

// httpSafetyMargin is added to Config.Timeout for the HTTP client's own
// timeout, a safety net behind the per-attempt context that normally fires
// first with a clearer error.
const httpSafetyMargin = 5 * time.Second

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	// BaseURL is the API root; see NormalizeBaseURL for the accepted forms.
	BaseURL string
	// APIKey is sent as a bearer token when not empty. It never appears in
	// errors returned by this package.
	APIKey string
	// Model is the chat model; ChatRequest.Model overrides it.
	Model string
	// Timeout bounds each attempt, including the whole of a streamed reply.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt. Zero
	// means DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// MaxConcurrent caps the requests in flight from this Client.
	MaxConcurrent int
	// BackoffBase is the wait before the first retry; it doubles on each
	// further retry, with jitter.
	BackoffBase time.Duration
	// MaxBackoff caps any wait between attempts, including one asked for by
	// a Retry-After header.
	MaxBackoff time.Duration
	// EmbedBatch is the number of texts sent in one embeddings request.
	EmbedBatch int
	// HTTPClient, when set, is copied and used for requests; its transport
	// is wrapped, and a timeout is added if it has none.
	HTTPClient *http.Client
	// Logger, when set, receives a warning for each retry.
	Logger *slog.Logger
}

// Client sends chat and embeddings requests. It is safe for concurrent use.
type Client struct {
	api           *openai.Client
	http          *http.Client
	baseURL       string
	key           string
	model         string
	timeout       time.Duration
	maxRetries    int
	backoffBase   time.Duration
	maxBackoff    time.Duration
	embedBatch    int
	maxConcurrent int
	sem           chan struct{}
	logger        *slog.Logger
}

// New returns a Client for cfg. It fails only when the base URL is invalid.
func New(cfg Config) (*Client, error) {
	base, err := NormalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:       base,
		key:           cfg.APIKey,
		model:         cfg.Model,
		timeout:       orDefault(cfg.Timeout, DefaultTimeout),
		maxRetries:    cfg.MaxRetries,
		backoffBase:   orDefault(cfg.BackoffBase, DefaultBackoffBase),
		maxBackoff:    orDefault(cfg.MaxBackoff, DefaultMaxBackoff),
		embedBatch:    orDefault(cfg.EmbedBatch, DefaultEmbedBatch),
		maxConcurrent: orDefault(cfg.MaxConcurrent, DefaultMaxConcurrent),
		logger:        cfg.Logger,
	}
	switch {
	case cfg.MaxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		c.maxRetries = 0
	}
	c.sem = make(chan struct{}, c.maxConcurrent)

	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = c.maxConcurrent
		hc.Transport = t
	}
	if hc.Timeout <= 0 {
		hc.Timeout = c.timeout + httpSafetyMargin
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = hintTransport{base: rt}

	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = base
	oc.HTTPClient = &hc
	c.http = &hc
	c.api = openai.NewClientWithConfig(oc)
	return c, nil
}

// BaseURL returns the normalised base URL the client sends requests to.
func (c *Client) BaseURL() string { return c.baseURL }

// Model returns the configured chat model.
func (c *Client) Model() string { return c.model }

func orDefault[T time.Duration | int](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// versionSegment matches an API version path segment such as v1 or v1beta.
var versionSegment = regexp.MustCompile(`^v[0-9]+[a-z0-9]*$`)

// NormalizeBaseURL turns the forms people write for an OpenAI-compatible
// endpoint into the base URL go-openai needs, which includes the API
// version. "http://localhost:11434", "http://localhost:11434/" and
// "http://localhost:11434/v1" all become "http://localhost:11434/v1";
// "https://openrouter.ai/api/v1/" becomes "https://openrouter.ai/api/v1".
// "/v1" is appended when no path segment names a version, so a base that
// already has one elsewhere (Gemini's ".../v1beta/openai") is kept as
// written. An empty string gives DefaultBaseURL. Schemes other than http and
// https, a missing host, a query or a fragment are errors.
func NormalizeBaseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("invalid base URL %q: %w", s, errors.Unwrap(err))
	}
	shown := s
	if _, ok := u.User.Password(); ok {
		shown = u.Redacted()
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("invalid base URL %q: it must start with http:// or https://", shown)
	}
	if u.Host == "" {
		return "", fmt.Errorf("invalid base URL %q: no host", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("invalid base URL %q: a query or fragment is not allowed", shown)
	}
	u.Scheme = scheme
	path := strings.TrimRight(u.Path, "/")
	hasVersion := false
	for _, seg := range strings.Split(path, "/") {
		if versionSegment.MatchString(seg) {
			hasVersion = true
			break
		}
	}
	if !hasVersion {
		path += "/v1"
	}
	u.Path = path
	u.RawPath = ""
	return u.String(), nil
}

// acquire takes a concurrency slot, waiting until one is free or ctx ends.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }
