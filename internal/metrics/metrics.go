// Package metrics defines the bot's Prometheus metrics on a registry of its
// own (never the global default one) and keeps them up to date: the bot
// tells it about every finished interaction (as the commands package
// reports them), the requests the interactions endpoint refused, the
// index's size and how reindexes went, the answers queued and in flight,
// Discord's REST errors and rate limits (DiscordTransport), the shared
// state's fallbacks, and the shared store's generation. Handler serves them
// in the Prometheus text format.
package metrics

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets span a deferred acknowledgement (milliseconds) to a slow
// model answer or a reindex (minutes), in seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// ModelErrorReasons are the values of newsbot_model_errors_total's reason
// label (see ModelErrorReason); each is exported from the start, at 0.
var ModelErrorReasons = []string{"timeout", "rate_limited", "server_error", "auth", "client_error",
	"stream_interrupted", "empty", "malformed", "uncited", "other"}

// Metrics holds the bot's metrics. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	interactions   *prometheus.CounterVec
	stages         *prometheus.HistogramVec
	modelErrors    *prometheus.CounterVec
	tokens         *prometheus.CounterVec
	passages       prometheus.Gauge
	articles       prometheus.Gauge
	reindex        prometheus.Histogram
	reindexFailure prometheus.Counter
	lastReindex    prometheus.Gauge
	rejections     *prometheus.CounterVec
	restErrors     *prometheus.CounterVec
	rateLimits     *prometheus.CounterVec
	sharedFallback *prometheus.CounterVec

	// The store* metrics describe the shared corpus store, when there is
	// one (registered by UseStore).
	storeWritable   prometheus.Gauge
	storeGeneration prometheus.Gauge
	storeLag        prometheus.Gauge
	storeFallback   *prometheus.CounterVec

	// load reports the answers queued and in flight; nil until TrackLoad.
	load atomic.Pointer[func() Load]
}

// New returns the metrics, registered on a new registry along with the Go
// runtime and process collectors and the build's description.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_interactions_total",
			Help: "Interactions (slash commands, buttons, mentions) handled, by command and outcome (ok, error, refused, cooldown, busy, restarting, ignored).",
		}, []string{"command", "outcome"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "newsbot_stage_duration_seconds",
			Help:    "Time spent in each stage of an interaction, by command: ack (until Discord was answered), queue, retrieve, generate, send, download, reindex, and total.",
			Buckets: latencyBuckets,
		}, []string{"command", "stage"}),
		modelErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_model_errors_total",
			Help: "Answers for which the model failed and a quoted answer was given instead, by reason: timeout, rate_limited (429), server_error (5xx), auth (401, 403), client_error (other 4xx), stream_interrupted, empty, malformed, uncited (no valid citation), other (connection and the rest).",
		}, []string{"reason"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_model_tokens_total",
			Help: "Tokens the model reported using, by kind (prompt, completion).",
		}, []string{"kind"}),
		passages: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsbot_index_passages",
			Help: "Passages in the live index.",
		}),
		articles: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsbot_index_articles",
			Help: "Articles in the live index.",
		}),
		reindex: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsbot_reindex_duration_seconds",
			Help:    "Time taken by reindexes that finished, successful or not.",
			Buckets: latencyBuckets,
		}),
		reindexFailure: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsbot_reindex_failures_total",
			Help: "Reindexes that failed; the previous index went on serving.",
		}),
		lastReindex: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsbot_last_reindex_success_timestamp_seconds",
			Help: "When the last successful reindex finished (Unix time); 0 before the first.",
		}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_interaction_rejections_total",
			Help: "Requests the HTTP interactions endpoint refused before any handler ran, by reason and HTTP status: bad_signature and stale_timestamp (401), too_large (413), unreadable, malformed and unsupported (400), no_response (503: no first response within 3 s), replay (200, a response that does nothing).",
		}, []string{"reason", "status"}),
		restErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_discord_rest_errors_total",
			Help: "Discord REST requests that failed, by route (the API path's first segment) and status (the HTTP status, or \"network\" when no response came); 429s are counted in newsbot_discord_rate_limits_total instead.",
		}, []string{"route", "status"}),
		rateLimits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_discord_rate_limits_total",
			Help: "Discord REST answers 429 Too Many Requests, by route and scope (user, global, shared, or unknown), including those discordgo retried.",
		}, []string{"route", "scope"}),
		sharedFallback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_shared_state_fallbacks_total",
			Help: "Times the state replicas share in PostgreSQL (limiter, replay, slots, votes) could not be used and this replica's own was used instead (votes: the vote was not recorded).",
		}, []string{"what"}),
	}
	gauge := func(name, help string, pick func(Load) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if f := m.load.Load(); f != nil && *f != nil {
				return float64(pick((*f)()))
			}
			return 0
		})
	}
	m.reg.MustRegister(m.interactions, m.stages, m.modelErrors, m.tokens, m.passages, m.articles,
		m.reindex, m.reindexFailure, m.lastReindex, m.rejections, m.restErrors, m.rateLimits,
		m.sharedFallback,
		gauge("newsbot_answer_queue_depth", "Answers admitted and waiting for a free answer slot in this replica.", func(l Load) int { return l.Queued }),
		gauge("newsbot_answers_in_flight", "Answers being generated by this replica (holding an answer slot).", func(l Load) int { return l.Answering }),
		gauge("newsbot_interactions_in_flight", "Interactions and mentions this replica is handling.", func(l Load) int { return l.Interactions }),
		buildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, kind := range []string{"prompt", "completion"} {
		m.tokens.WithLabelValues(kind) // present from the start, at 0
	}
	for _, r := range ModelErrorReasons {
		m.modelErrors.WithLabelValues(r)
	}
	return m
}

// buildInfo is newsbot_build_info: 1, labelled with the version, the VCS
// revision and the Go version the binary was built with.
func buildInfo() prometheus.Collector {
	version, revision := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" {
			version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "newsbot_build_info",
		Help:        "Always 1; the labels describe the running binary: its module version, VCS revision and Go version.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// UseStore registers the metrics of a shared corpus store (PostgreSQL):
// whether writes can go through, the generation the replica serves and how
// far it lags the store's newest, and its fallbacks. Call it once, before
// SetStore and StoreFallback.
func (m *Metrics) UseStore() {
	m.storeWritable = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "newsbot_store_writable",
		Help: "1 when the shared corpus store (PostgreSQL) takes writes, 0 while it is unreachable and the replica serves its snapshot read-only.",
	})
	m.storeGeneration = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "newsbot_store_generation",
		Help: "The shared corpus store's generation this replica's snapshot holds; replicas that agree serve the same corpus.",
	})
	m.storeLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "newsbot_store_generation_lag",
		Help: "How many generations the snapshot this replica serves is behind the newest it has seen in the shared corpus store.",
	})
	m.storeFallback = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsbot_store_fallbacks_total",
		Help: "Times this replica fell back from the shared corpus store, by reason: read_only (PostgreSQL unreachable, or the store re-embedded by another embedder: the snapshot is served read-only) and polling (the change notifications were lost: changes come at each poll).",
	}, []string{"reason"})
	for _, r := range []string{"read_only", "polling"} {
		m.storeFallback.WithLabelValues(r)
	}
	m.reg.MustRegister(m.storeWritable, m.storeGeneration, m.storeLag, m.storeFallback)
}

// SetStore records the state of the shared corpus store (after UseStore):
// whether it takes writes, the generation served and the newest seen.
func (m *Metrics) SetStore(writable bool, generation, latest int64) {
	if m.storeWritable == nil {
		return
	}
	v := 0.0
	if writable {
		v = 1
	}
	m.storeWritable.Set(v)
	m.storeGeneration.Set(float64(generation))
	m.storeLag.Set(float64(max(latest-generation, 0)))
}

// StoreFallback counts one fallback of the shared corpus store (after
// UseStore); reason is "read_only" or "polling".
func (m *Metrics) StoreFallback(reason string) {
	if m.storeFallback == nil {
		return
	}
	m.storeFallback.WithLabelValues(reason).Inc()
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Interaction is one finished interaction (a slash command, a button, a
// mention), as the metrics count it.
type Interaction struct {
	// Command is the slash command ("ask"), the button ("ask:vote") or
	// "mention"; Outcome is "ok", "error", "refused", "cooldown", "busy",
	// "restarting" or "ignored".
	Command, Outcome string
	// Stages are how long each stage took ("ack", "queue", "retrieve",
	// "generate", "send", "download", "reindex"); Total is the whole.
	Stages []Stage
	Total  time.Duration
	// Answered is set when an answer was generated; Fallback then says
	// why a quoted answer replaced the model's, and the token counts are
	// the model's.
	Answered                       bool
	Fallback                       string
	PromptTokens, CompletionTokens int
}

// Stage is the duration of one stage of an interaction.
type Stage struct {
	Name     string
	Duration time.Duration
}

// Observe counts one finished interaction.
func (m *Metrics) Observe(ev Interaction) {
	m.interactions.WithLabelValues(ev.Command, ev.Outcome).Inc()
	for _, s := range ev.Stages {
		m.stages.WithLabelValues(ev.Command, s.Name).Observe(s.Duration.Seconds())
	}
	m.stages.WithLabelValues(ev.Command, "total").Observe(ev.Total.Seconds())
	if !ev.Answered {
		return
	}
	if reason, ok := ModelErrorReason(ev.Fallback); ok {
		m.modelErrors.WithLabelValues(reason).Inc()
	}
	if ev.PromptTokens > 0 {
		m.tokens.WithLabelValues("prompt").Add(float64(ev.PromptTokens))
	}
	if ev.CompletionTokens > 0 {
		m.tokens.WithLabelValues("completion").Add(float64(ev.CompletionTokens))
	}
}

// ModelErrorReason reads why the model's answer was replaced from an
// answer's Fallback, as package answer writes it ("model error: timed
// out", "model error: HTTP 429", "answer without valid citations"); ok is
// false when the model did not fail (no fallback, or a prompt error).
func ModelErrorReason(fallback string) (reason string, ok bool) {
	if fallback == "answer without valid citations" {
		return "uncited", true
	}
	cause, ok := strings.CutPrefix(fallback, "model error: ")
	if !ok {
		return "", false
	}
	switch {
	case cause == "timed out":
		return "timeout", true
	case cause == "stream interrupted":
		return "stream_interrupted", true
	case cause == "empty answer":
		return "empty", true
	case strings.Contains(cause, "malformed response"):
		return "malformed", true
	}
	if code, found := strings.CutPrefix(cause, "HTTP "); found {
		switch n, _ := strconv.Atoi(code); {
		case n == http.StatusTooManyRequests:
			return "rate_limited", true
		case n >= 500:
			return "server_error", true
		case n == http.StatusUnauthorized || n == http.StatusForbidden:
			return "auth", true
		case n >= 400:
			return "client_error", true
		}
	}
	return "other", true
}

// SetIndexSize records the size of the live index.
func (m *Metrics) SetIndexSize(articles, passages int) {
	m.articles.Set(float64(articles))
	m.passages.Set(float64(passages))
}

// ObserveReindex records a finished reindex; failed is set when it did
// not replace the index. A successful one also sets the time of the last
// successful reindex to now.
func (m *Metrics) ObserveReindex(d time.Duration, failed bool) {
	m.reindex.Observe(d.Seconds())
	if failed {
		m.reindexFailure.Inc()
		return
	}
	m.lastReindex.Set(float64(time.Now().UnixNano()) / 1e9)
}

// Load is what a replica is working on, for the queue and in-flight
// gauges.
type Load struct {
	// Queued answers are admitted and wait for an answer slot; Answering
	// ones hold one.
	Queued, Answering int
	// Interactions are the interactions and mentions being handled.
	Interactions int
}

// TrackLoad makes the queue and in-flight gauges read load at each
// scrape; it must return quickly. Nil sets them back to 0.
func (m *Metrics) TrackLoad(load func() Load) { m.load.Store(&load) }

// Rejected counts a request the interactions endpoint refused, by reason
// (see the metric's help) and the HTTP status it was answered with.
func (m *Metrics) Rejected(reason string, status int) {
	m.rejections.WithLabelValues(reason, strconv.Itoa(status)).Inc()
}

// SharedStateFallback counts one use of this replica's own state because
// the shared one (what: "limiter", "replay", "slots", "votes") failed.
func (m *Metrics) SharedStateFallback(what string) {
	m.sharedFallback.WithLabelValues(what).Inc()
}
