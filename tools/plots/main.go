// Command plots renders the figures of docs/benchmarks.md:
//
//	# quality against k, for hybrid, keyword-only and vector-only ranking
//	cd tools && go run ./plots -corpus DIR -questions FILE -out ../docs/img/quality-vs-k.png
//
//	# query time against index size, from benchmark output
//	go test -run '^$' -bench 'SearchBBC|SearchSynthetic' ./retrieval | tee bench.txt
//	cd tools && go run ./plots -bench ../bench.txt -out ../docs/img/query-time.png
//
// It is a developer program in the tools module (tools/go.mod), so that
// the bot's own module does not depend on gonum/plot.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/newsbot/newsbot/retrieval"
)

func main() {
	corpus := flag.String("corpus", "", "corpus folder, for the quality plot")
	questions := flag.String("questions", "", "question file (JSON Lines), for the quality plot")
	bench := flag.String("bench", "", "go test -bench output, for the query-time plot")
	out := flag.String("out", "", "PNG file to write (required)")
	flag.Parse()
	var err error
	switch {
	case *out == "":
		err = fmt.Errorf("-out FILE is required")
	case *bench != "":
		err = queryTimePlot(*bench, *out)
	case *corpus != "" && *questions != "":
		err = qualityPlot(*corpus, *questions, *out)
	default:
		err = fmt.Errorf("give -bench FILE, or -corpus DIR and -questions FILE")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "plots:", err)
		os.Exit(1)
	}
}

type question struct {
	Question string   `json:"question"`
	Relevant []string `json:"relevant"`
}

// qualityPlot draws recall@k (a relevant article among the top k passages)
// for k = 1..10 and each ranking mode.
func qualityPlot(corpus, questionsFile, out string) error {
	b, err := os.ReadFile(questionsFile)
	if err != nil {
		return err
	}
	var qs []question
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var q question
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return fmt.Errorf("%s:%d: %w", questionsFile, i+1, err)
		}
		if len(q.Relevant) > 0 {
			qs = append(qs, q)
		}
	}
	dir, err := os.MkdirTemp("", "newsbot-plots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ix, err := retrieval.Open(retrieval.Options{Dir: dir})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := ix.Reindex(ctx, corpus, nil); err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Retrieval quality: %d questions, %d passages", len(qs), ix.Stats().Passages)
	p.X.Label.Text = "k (passages retrieved)"
	p.Y.Label.Text = "recall@k"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Add(plotter.NewGrid())
	modes := []struct {
		name, mode string
		c          color.RGBA
	}{
		{"hybrid", retrieval.ModeHybrid, color.RGBA{R: 200, A: 255}},
		{"keyword (BM25)", retrieval.ModeKeyword, color.RGBA{B: 200, A: 255}},
		{"vector (local embedder)", retrieval.ModeVector, color.RGBA{G: 150, A: 255}},
	}
	for _, m := range modes {
		pts := make(plotter.XYs, 10)
		for k := 1; k <= 10; k++ {
			hit := 0
			for _, q := range qs {
				res, err := ix.Search(ctx, retrieval.Query{Text: q.Question, K: k, Mode: m.mode})
				if err != nil {
					return err
				}
				if slices.ContainsFunc(res, func(r retrieval.Result) bool { return slices.Contains(q.Relevant, r.ArticleID) }) {
					hit++
				}
			}
			pts[k-1] = plotter.XY{X: float64(k), Y: float64(hit) / float64(len(qs))}
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = m.c, m.c
		p.Add(line, points)
		p.Legend.Add(m.name, line, points)
		fmt.Printf("%-24s %v\n", m.name, pts)
	}
	p.Legend.Top = false
	return p.Save(6*vg.Inch, 4*vg.Inch, out)
}

// queryTimePlot draws ms/query against passages from benchmark lines that
// report both metrics.
func queryTimePlot(benchFile, out string) error {
	f, err := os.Open(benchFile)
	if err != nil {
		return err
	}
	defer f.Close()
	// series → passages → ms/query samples; the series is the scan named
	// in the benchmark ("scan=int8"), float32 when none is named.
	names := map[string]string{
		"float32":    "contiguous scan, float32 (default to 100k passages)",
		"int8":       "contiguous scan, int8 + float32 rescoring (default past 100k)",
		"chromem-go": "chromem-go QueryEmbedding",
	}
	series := map[string]map[float64][]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		name := names["float32"]
		if _, after, ok := strings.Cut(fields[0], "scan="); ok {
			scan, _, _ := strings.Cut(after, "/")
			if i := strings.LastIndexByte(scan, '-'); i > 0 {
				if _, err := strconv.Atoi(scan[i+1:]); err == nil {
					scan = scan[:i] // the -GOMAXPROCS suffix
				}
			}
			if n, ok := names[scan]; ok {
				name = n
			}
		}
		var ms, floor, n float64
		for i := 1; i < len(fields); i++ {
			v, err := strconv.ParseFloat(fields[i-1], 64)
			if err != nil {
				continue
			}
			switch fields[i] {
			case "ms/query":
				ms = v
			case "floor-ms":
				floor = v
			case "passages":
				n = v
			}
		}
		add := func(name string, v float64) {
			if series[name] == nil {
				series[name] = map[float64][]float64{}
			}
			series[name][n] = append(series[name][n], v)
		}
		if ms > 0 && n > 0 {
			add(name, ms)
		}
		// The floor of the float32 scan: its bytes at the read bandwidth
		// measured beside it.
		if floor > 0 && n > 0 && name == names["float32"] {
			add("floor: float32 vectors read at the measured bandwidth", floor)
		}
	}
	if len(series) == 0 {
		return fmt.Errorf("%s: no benchmark line with ms/query and passages", benchFile)
	}
	p := plot.New()
	p.Title.Text = "Hybrid query time against index size (median)"
	p.X.Label.Text = "passages"
	p.Y.Label.Text = "ms per query"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = false
	order := make([]string, 0, len(series))
	for name := range series {
		order = append(order, name)
	}
	sort.Strings(order)
	colors := []color.RGBA{{R: 200, A: 255}, {B: 200, A: 255}, {G: 150, A: 255}, {R: 120, G: 120, B: 120, A: 255}}
	for k, name := range order {
		var pts plotter.XYs
		for n, v := range series[name] {
			sort.Float64s(v)
			pts = append(pts, plotter.XY{X: n, Y: v[len(v)/2]}) // median
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, points.Color = colors[k%len(colors)], colors[k%len(colors)]
		p.Add(line, points)
		p.Legend.Add(name, line, points)
		for _, pt := range pts {
			fmt.Printf("%-36s %8.0f passages  %8.2f ms/query\n", name, pt.X, pt.Y)
		}
		if strings.HasPrefix(name, "floor") {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			continue // unlabelled: it runs beside the float32 scan
		}
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labelsOf(pts)})
		if err != nil {
			return err
		}
		p.Add(labels)
	}
	return p.Save(6*vg.Inch, 4*vg.Inch, out)
}

func labelsOf(pts plotter.XYs) []string {
	out := make([]string, len(pts))
	for i, p := range pts {
		out[i] = fmt.Sprintf(" %.1f ms", p.Y)
	}
	return out
}
