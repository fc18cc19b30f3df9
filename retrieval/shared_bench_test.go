package retrieval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/pgtest"
	"github.com/newsbot/newsbot/internal/testkit"
)

// The shared store's figures, against a real PostgreSQL 15 (docs/scaling.md
// quotes them): what a replica's snapshot costs in memory per passage and
// in time to load, how long an ingest takes, and how long another replica
// takes to serve it. Run with
//
//	go test ./retrieval -run '^$' -bench 'Shared' -benchtime 20x
//
// The BBC corpus (../shared/corpora/bbc) is used when present; the
// synthetic corpora stand in for larger ones.

// sharedCorpus is a store filled once per benchmark: its server and the
// passages it holds.
type sharedCorpus struct {
	pg       *pgtest.Server
	passages int
}

// fillShared starts a server and imports folder into it.
func fillShared(b *testing.B, folder string) sharedCorpus {
	b.Helper()
	pg := pgtest.Start(b)
	w, err := OpenShared(context.Background(), Options{Dir: b.TempDir()}, SharedOptions{Postgres: pg.DSN})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	start := time.Now()
	sum, err := w.Import(context.Background(), folder, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("imported %d articles, %d passages in %v", sum.Articles, sum.Passages, time.Since(start).Round(time.Millisecond))
	return sharedCorpus{pg: pg, passages: sum.Passages}
}

// syntheticFolder writes n made-up articles of three paragraphs (about
// three passages each) as JSON Lines files of 2,000 (under the 10 MiB a file may hold).
func syntheticFolder(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	words := strings.Fields("harbour council ferry minister budget storm election archive festival bridge tariff fisheries railway " +
		"hospital school museum court treaty market border inflation strike union pension orchestra vaccine drought satellite")
	var f *os.File
	enc := (*json.Encoder)(nil)
	for k := range n {
		if k%2000 == 0 {
			if f != nil {
				f.Close()
			}
			var err error
			if f, err = os.Create(filepath.Join(dir, fmt.Sprintf("part-%03d.jsonl", k/2000))); err != nil {
				b.Fatal(err)
			}
			enc = json.NewEncoder(f)
		}
		var text strings.Builder
		for p := range 3 {
			for s := range 7 {
				fmt.Fprintf(&text, "Officials in Vell%05d said the %s and the %s were discussed with the %s board on day %d, item %d. ",
					k, words[(k+p+s)%len(words)], words[(k*7+s)%len(words)], words[(k*3+p*5+s)%len(words)], k%365, p*10+s)
			}
			text.WriteString("\n\n")
		}
		rec := map[string]string{"id": fmt.Sprintf("syn/%06d", k), "title": fmt.Sprintf("Report %d on Vell%05d", k, k),
			"source": "Synthetic Herald", "text": text.String()}
		if err := enc.Encode(rec); err != nil {
			b.Fatal(err)
		}
	}
	if f != nil {
		f.Close()
	}
	return dir
}

func benchFolders(b *testing.B) map[string]func() string {
	return map[string]func() string{
		"BBC":     func() string { return testkit.BBC(b) },
		"syn20k":  func() string { return syntheticFolder(b, 7000) },
		"syn100k": func() string { return syntheticFolder(b, 33000) },
	}
}

// BenchmarkSharedLoad loads a whole store into a new replica: the time to
// start with no snapshot in the data folder, and the memory the snapshot
// takes per passage (heap in use after a collection, with and without it).
func BenchmarkSharedLoad(b *testing.B) {
	for _, name := range []string{"BBC", "syn20k", "syn100k"} {
		b.Run(name, func(b *testing.B) {
			sc := fillShared(b, benchFolders(b)[name]())
			var perPassage, loadMs float64
			for range b.N {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				r, err := OpenShared(context.Background(), Options{Dir: b.TempDir()}, SharedOptions{Postgres: sc.pg.DSN})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				if err := r.Load(context.Background()); err != nil {
					b.Fatal(err)
				}
				loadMs += float64(time.Since(start).Microseconds()) / 1000
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				perPassage += float64(after.HeapAlloc-before.HeapAlloc) / float64(sc.passages)
				if got := r.Index().Stats().Passages; got != sc.passages {
					b.Fatalf("loaded %d passages, want %d", got, sc.passages)
				}
				r.Close()
			}
			b.ReportMetric(float64(sc.passages), "passages")
			b.ReportMetric(loadMs/float64(b.N), "load-ms")
			b.ReportMetric(perPassage/float64(b.N), "heap-B/passage")
			reportPeakRSS(b)
		})
	}
}

// BenchmarkSharedIngest ingests one small article (three passages) per
// op into a store of the named size, with a second replica following:
// the writer's latency (parse, embed, one transaction, its own snapshot
// updated), and the convergence from the writer's commit to the other
// replica serving the article, told by a notification or, with
// notifications lost, by its poll (every 2 s).
func BenchmarkSharedIngest(b *testing.B) {
	for _, name := range []string{"BBC", "syn20k", "syn100k"} {
		for _, notify := range []bool{true, false} {
			label := name + "/notify"
			if !notify {
				label = name + "/poll"
			}
			b.Run(label, func(b *testing.B) {
				if !notify && name != "BBC" {
					b.Skip("the poll's figure is the poll's period, whatever the size")
				}
				sc := fillShared(b, benchFolders(b)[name]())
				open := func(channel string) (*Shared, func()) {
					r, err := OpenShared(context.Background(), Options{Dir: b.TempDir()}, SharedOptions{Postgres: sc.pg.DSN})
					if err != nil {
						b.Fatal(err)
					}
					r.channel = channel
					if err := r.Load(context.Background()); err != nil {
						b.Fatal(err)
					}
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan struct{})
					go func() {
						defer close(done)
						r.Run(ctx)
					}()
					return r, func() { cancel(); <-done; r.Close() }
				}
				w, stopW := open(corpusChannel)
				defer stopW()
				channel := corpusChannel
				if !notify {
					channel = "newsbot_nothing"
				}
				f, stopF := open(channel)
				defer stopF()
				var committed atomic.Int64
				w.beforeCommit = func() { committed.Store(time.Now().UnixNano()) }
				var ingest, converge []time.Duration
				b.ResetTimer()
				for n := range b.N {
					word := fmt.Sprintf("Quimzel%d", n)
					start := time.Now()
					res, err := w.Ingest(context.Background(), strings.ToLower(word)+".txt", story(word), "bench", nil)
					if err != nil {
						b.Fatal(err)
					}
					ingest = append(ingest, time.Since(start))
					id := strings.TrimSuffix(res.Path, ".txt")
					for {
						if _, ok := f.Index().Passage(id + "#1"); ok {
							break
						}
						time.Sleep(100 * time.Microsecond)
					}
					converge = append(converge, time.Since(time.Unix(0, committed.Load())))
				}
				b.StopTimer()
				b.ReportMetric(float64(sc.passages), "passages")
				b.ReportMetric(ms(median(ingest)), "ingest-ms")
				b.ReportMetric(ms(median(converge)), "converge-ms")
				b.ReportMetric(ms(quantileOf(converge, 1)), "converge-max-ms")
			})
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(ds []time.Duration) time.Duration { return quantileOf(ds, 0.5) }

func quantileOf(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
