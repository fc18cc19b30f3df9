// Package metrics defines the bot's Prometheus metrics on a registry of its
// own (never the global default one) and keeps them up to date: the bot
// tells it about every finished interaction (as the commands package
// reports them), the index's size and how reindexes went. Handler serves them in the
// Prometheus text format.
package metrics

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// latencyBuckets span a deferred acknowledgement (milliseconds) to a slow
// model answer or a reindex (minutes), in seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// Metrics holds the bot's metrics. Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	interactions   *prometheus.CounterVec
	stages         *prometheus.HistogramVec
	modelErrors    prometheus.Counter
	tokens         *prometheus.CounterVec
	passages       prometheus.Gauge
	articles       prometheus.Gauge
	reindex        prometheus.Histogram
	reindexFailure prometheus.Counter
	// storeWritable and storeGeneration describe the shared corpus store,
	// when there is one (registered by UseStore).
	storeWritable   prometheus.Gauge
	storeGeneration prometheus.Gauge
}

// New returns the metrics, registered on a new registry along with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbot_interactions_total",
			Help: "Interactions (slash commands, buttons, mentions) handled, by command and outcome (ok, error, refused, cooldown, busy, restarting, ignored).",
		}, []string{"command", "outcome"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "newsbot_stage_duration_seconds",
			Help:    "Time spent in each stage of an interaction: ack (until Discord was answered), queue, retrieve, generate, send, download, reindex, and total.",
			Buckets: latencyBuckets,
		}, []string{"stage"}),
		modelErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsbot_model_errors_total",
			Help: "Answers for which the model failed (down, slow, out of quota, cut mid-stream) and a quoted answer was given instead.",
		}),
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
	}
	m.reg.MustRegister(m.interactions, m.stages, m.modelErrors, m.tokens, m.passages, m.articles,
		m.reindex, m.reindexFailure,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, kind := range []string{"prompt", "completion"} {
		m.tokens.WithLabelValues(kind) // present from the start, at 0
	}
	return m
}

// UseStore registers the metrics of a shared corpus store (PostgreSQL):
// whether writes can go through, and the generation the replica serves.
// Call it once, before SetStore.
func (m *Metrics) UseStore() {
	m.storeWritable = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "newsbot_store_writable",
		Help: "1 when the shared corpus store (PostgreSQL) takes writes, 0 while it is unreachable and the replica serves its snapshot read-only.",
	})
	m.storeGeneration = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "newsbot_store_generation",
		Help: "The shared corpus store's generation this replica's snapshot holds; replicas that agree serve the same corpus.",
	})
	m.reg.MustRegister(m.storeWritable, m.storeGeneration)
}

// SetStore records the state of the shared corpus store (after UseStore).
func (m *Metrics) SetStore(writable bool, generation int64) {
	if m.storeWritable == nil {
		return
	}
	v := 0.0
	if writable {
		v = 1
	}
	m.storeWritable.Set(v)
	m.storeGeneration.Set(float64(generation))
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
		m.stages.WithLabelValues(s.Name).Observe(s.Duration.Seconds())
	}
	m.stages.WithLabelValues("total").Observe(ev.Total.Seconds())
	if !ev.Answered {
		return
	}
	// The answer package marks a failed model call with this prefix.
	if strings.HasPrefix(ev.Fallback, "model error") {
		m.modelErrors.Inc()
	}
	if ev.PromptTokens > 0 {
		m.tokens.WithLabelValues("prompt").Add(float64(ev.PromptTokens))
	}
	if ev.CompletionTokens > 0 {
		m.tokens.WithLabelValues("completion").Add(float64(ev.CompletionTokens))
	}
}

// SetIndexSize records the size of the live index.
func (m *Metrics) SetIndexSize(articles, passages int) {
	m.articles.Set(float64(articles))
	m.passages.Set(float64(passages))
}

// ObserveReindex records a finished reindex; failed is set when it did
// not replace the index.
func (m *Metrics) ObserveReindex(d time.Duration, failed bool) {
	m.reindex.Observe(d.Seconds())
	if failed {
		m.reindexFailure.Inc()
	}
}
