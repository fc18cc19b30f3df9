package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/newsbot/newsbot/internal/metrics"
)

// readiness is what /readyz reports: ready once the index is loaded and,
// over the gateway, the session is connected; not ready again while
// shutting down.
type readiness struct {
	index    atomic.Bool
	stopping atomic.Bool
	// connected reports whether the gateway is connected; nil in HTTP
	// interactions mode, where there is no connection to wait for. Set
	// before the metrics server starts, never changed.
	connected func() bool
	// writes, with a shared corpus store, reports whether changes to the
	// corpus can go through now, and why not; the bot still answers
	// without. Set once, before the index loads.
	writes atomic.Pointer[func() (bool, string)]
}

// writeState is the readiness for writes: "" when there is no shared
// store or it takes writes, else why not.
func (r *readiness) writeState() string {
	f := r.writes.Load()
	if f == nil {
		return ""
	}
	if ok, why := (*f)(); !ok {
		return why
	}
	return ""
}

// check returns whether the bot is ready and, when not, why.
func (r *readiness) check() (bool, string) {
	switch {
	case r.stopping.Load():
		return false, "shutting down"
	case !r.index.Load():
		return false, "index not loaded yet"
	case r.connected != nil && !r.connected():
		return false, "not connected to Discord"
	}
	return true, "ready"
}

// observabilityMux serves /healthz (the process runs), /readyz (the bot
// can answer) and /metrics (Prometheus text format).
func observabilityMux(m *metrics.Metrics, ready *readiness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ok, why := ready.check()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, why)
		// Answering needs only the snapshot in memory: a replica whose
		// shared store is unreachable stays ready, and says it can't
		// take writes (/ingest, /reindex, /remove).
		if ok {
			if reason := ready.writeState(); reason != "" {
				fmt.Fprintln(w, "not ready for writes: "+reason)
			}
		}
	})
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// serverGroup runs the bot's HTTP listeners and shuts them down together.
// It is used from one goroutine; failed reports a listener that stopped on
// its own.
type serverGroup struct {
	servers []*http.Server
	wg      sync.WaitGroup
	failed  chan error // nil (never ready) until a server starts
}

// start listens on addr and serves h there in the background; listening,
// when not nil, is told the bound address.
func (g *serverGroup) start(name, addr string, h http.Handler, log *slog.Logger, listening func(string, net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s server: %w", name, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if g.failed == nil {
		g.failed = make(chan error, 2) // one per server kind
	}
	g.servers = append(g.servers, srv)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			select {
			case g.failed <- fmt.Errorf("%s server: %w", name, err):
			default:
			}
		}
	}()
	log.Info("listening", "server", name, "addr", ln.Addr().String())
	if listening != nil {
		listening(name, ln.Addr())
	}
	return nil
}

// close shuts the servers down, newest first, letting requests in flight
// finish for a few seconds.
func (g *serverGroup) close(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := len(g.servers) - 1; i >= 0; i-- {
		if err := g.servers[i].Shutdown(ctx); err != nil {
			log.Warn("close HTTP server", "err", err)
		}
	}
	g.wg.Wait()
}
