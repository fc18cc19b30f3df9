// Command declinefit fits the offline decline decision: a logistic model of
// whether a question is answerable from the soft evidence the answer engine
// gathers (answer.Evidence.Features), on questions labelled answerable or
// not. The evidence comes from `bot eval -evidence FILE`:
//
//	go run ./bot eval -corpus /tmp/mixed -questions testdata/eval/bbc-cloze.jsonl -evidence /tmp/ev-cloze.jsonl
//	go run ./bot eval -corpus /tmp/mixed -questions testdata/eval/bbc-described.jsonl -evidence /tmp/ev-desc.jsonl
//	go run ./bot eval -corpus /tmp/mixed -questions testdata/eval/bbc-offcorpus.jsonl -evidence /tmp/ev-off.jsonl
//	go run ./bot eval -corpus /tmp/mixed -questions testdata/eval/bbc-dev.jsonl -evidence /tmp/ev-dev.jsonl
//	(cd tools && go run ./declinefit -features coverage,window,unknown,missing_soft,short,no_answer_span,weak_answer_span \
//	    -out ../answer/decline.json -check /tmp/ev-dev.jsonl /tmp/ev-cloze.jsonl /tmp/ev-desc.jsonl /tmp/ev-off.jsonl)
//
// It fits on the generated sets only (cloze, described and off-corpus
// questions) and scores the dev set with -check, without fitting on it.
//
// Questions that hard evidence declines (a missing name, number or year, a
// year after the articles) are left out: the rules decide those whatever
// the model says. The classes are weighted to an assumed share of
// answerable questions (-prior, 0.9: what users ask is mostly covered, as
// in the dev set), whatever the mix of the fitting files; the features are
// standardised for the fit, and the weights are written back in the
// features' own units. The threshold is the one that maximises accuracy at
// that prior on the fitting set. With -check FILE, the model is also
// scored on another evidence file without fitting on it.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/newsbot/newsbot/answer"
)

// row is one line of `bot eval -evidence`.
type row struct {
	ID         string          `json:"id"`
	Answerable bool            `json:"answerable"`
	Declined   bool            `json:"declined"`
	Evidence   answer.Evidence `json:"evidence"`
}

func main() {
	out := flag.String("out", "", "write the fitted model to this JSON file (default: print it)")
	check := flag.String("check", "", "also score the model on this evidence file")
	l2 := flag.Float64("l2", 0.01, "L2 penalty on the standardised weights")
	prior := flag.Float64("prior", 0.9, "share of answerable questions to weigh the classes to")
	only := flag.String("features", "", "comma-separated features to fit (default: all); the others keep weight 0")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "declinefit: give one or more evidence files (bot eval -evidence FILE)")
		os.Exit(2)
	}
	if *prior <= 0 || *prior >= 1 {
		fmt.Fprintln(os.Stderr, "declinefit: -prior must be between 0 and 1")
		os.Exit(2)
	}
	use := map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		if f = strings.TrimSpace(f); f != "" {
			if !slices.Contains(answer.DeclineFeatures, f) {
				fmt.Fprintf(os.Stderr, "declinefit: unknown feature %q (have %s)\n", f, strings.Join(answer.DeclineFeatures, ", "))
				os.Exit(2)
			}
			use[f] = true
		}
	}
	if err := run(flag.Args(), *out, *check, *l2, *prior, use, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "declinefit:", err)
		os.Exit(1)
	}
}

func run(files []string, out, check string, l2, prior float64, use map[string]bool, w io.Writer) error {
	var rows []row
	for _, f := range files {
		rs, err := readRows(f)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	soft := softRows(rows)
	if len(soft) < 10 {
		return fmt.Errorf("only %d questions without hard evidence: too few to fit", len(soft))
	}
	m := fit(soft, l2, prior, use)
	m.Fitted = fmt.Sprintf("tools/declinefit on %d questions without hard evidence (%d answerable) from %s; l2 %g, prior %g",
		len(soft), countAnswerable(soft), strings.Join(baseNames(files), ", "), l2, prior)
	fmt.Fprintf(w, "fitted on %d questions (%d answerable, %d not) without hard evidence\n", len(soft), countAnswerable(soft), len(soft)-countAnswerable(soft))
	for i, name := range m.Features {
		fmt.Fprintf(w, "  %-18s %+.3f\n", name, m.Weights[i])
	}
	fmt.Fprintf(w, "  %-18s %+.3f\n  threshold          %.3f\n", "bias", m.Bias, m.Threshold)
	report(w, "fitting set", rows, m)
	if check != "" {
		rs, err := readRows(check)
		if err != nil {
			return err
		}
		report(w, "check "+check, rs, m)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if out == "" {
		_, err = w.Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(w, "wrote %s\n", out)
	return nil
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer f.Close()
	var out []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// hard reports whether the rules decline a question whatever the model
// says.
func hard(ev answer.Evidence) bool {
	return len(ev.Missing) > 0 || ev.MissingYear != "" || ev.LaterYear > 0
}

func softRows(rows []row) []row {
	var out []row
	for _, r := range rows {
		if !hard(r.Evidence) {
			out = append(out, r)
		}
	}
	return out
}

func countAnswerable(rows []row) int {
	n := 0
	for _, r := range rows {
		if r.Answerable {
			n++
		}
	}
	return n
}

// fit fits a class-weighted, L2-regularised logistic regression by
// gradient descent on standardised features.
func fit(rows []row, l2, prior float64, use map[string]bool) answer.DeclineModel {
	k := len(answer.DeclineFeatures)
	xs := make([][]float64, len(rows))
	ys := make([]float64, len(rows))
	wt := make([]float64, len(rows))
	pos := float64(countAnswerable(rows))
	neg := float64(len(rows)) - pos
	for i, r := range rows {
		xs[i] = r.Evidence.Features()
		if r.Answerable {
			ys[i], wt[i] = 1, prior/pos
		} else {
			wt[i] = (1 - prior) / neg
		}
	}
	mean, sd := make([]float64, k), make([]float64, k)
	for j := range k {
		for _, x := range xs {
			mean[j] += x[j]
		}
		mean[j] /= float64(len(xs))
		for _, x := range xs {
			sd[j] += (x[j] - mean[j]) * (x[j] - mean[j])
		}
		sd[j] = math.Sqrt(sd[j] / float64(len(xs)))
		if sd[j] < 1e-9 || (len(use) > 0 && !use[answer.DeclineFeatures[j]]) {
			sd[j] = 1 // a constant or unused feature: its weight stays 0
		}
	}
	z := make([][]float64, len(xs))
	for i, x := range xs {
		z[i] = make([]float64, k)
		for j := range k {
			if len(use) == 0 || use[answer.DeclineFeatures[j]] {
				z[i][j] = (x[j] - mean[j]) / sd[j]
			}
		}
	}
	w := make([]float64, k)
	b := 0.0
	const steps, rate = 20000, 0.5
	for range steps {
		gw := make([]float64, k)
		gb := 0.0
		for i := range z {
			p := sigmoid(b + dot(w, z[i]))
			d := wt[i] * (p - ys[i])
			for j := range k {
				gw[j] += d * z[i][j]
			}
			gb += d
		}
		for j := range k {
			w[j] -= rate * (gw[j] + l2*w[j])
		}
		b -= rate * gb
	}
	// Back to the features' own units.
	m := answer.DeclineModel{Features: answer.DeclineFeatures, Weights: make([]float64, k), Bias: b}
	for j := range k {
		m.Weights[j] = w[j] / sd[j]
		m.Bias -= w[j] * mean[j] / sd[j]
	}
	m.Threshold = bestThreshold(rows, m, prior)
	round(&m)
	return m
}

// bestThreshold returns the probability cut that maximises accuracy on
// rows with the classes weighted to prior (ties: the one nearest 0.5).
func bestThreshold(rows []row, m answer.DeclineModel, prior float64) float64 {
	type scored struct {
		p float64
		y bool
	}
	var ss []scored
	for _, r := range rows {
		ss = append(ss, scored{m.P(r.Evidence), r.Answerable})
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].p < ss[j].p })
	pos := float64(countAnswerable(rows))
	neg := float64(len(rows)) - pos
	best, bestAcc := 0.5, -1.0
	for i := 0; i <= len(ss); i++ {
		t := 0.0
		switch {
		case i == 0:
			t = ss[0].p / 2
		case i == len(ss):
			t = (ss[i-1].p + 1) / 2
		default:
			t = (ss[i-1].p + ss[i].p) / 2
		}
		tp, tn := 0.0, 0.0
		for _, s := range ss {
			if s.y && s.p >= t {
				tp++
			}
			if !s.y && s.p < t {
				tn++
			}
		}
		acc := prior*tp/pos + (1-prior)*tn/neg
		if acc > bestAcc+1e-12 || (math.Abs(acc-bestAcc) <= 1e-12 && math.Abs(t-0.5) < math.Abs(best-0.5)) {
			best, bestAcc = t, acc
		}
	}
	return best
}

// report prints how the rules and the model together decide rows: the
// accuracy over all questions, answerable and not.
func report(w io.Writer, name string, rows []row, m answer.DeclineModel) {
	var okA, okN, nA, nN int
	for _, r := range rows {
		declined := hard(r.Evidence) || m.P(r.Evidence) < m.Threshold
		if r.Answerable {
			nA++
			if !declined {
				okA++
			}
		} else {
			nN++
			if declined {
				okN++
			}
		}
	}
	fmt.Fprintf(w, "%s: decline accuracy %.3f (answered %d/%d answerable, declined %d/%d off-corpus)\n",
		name, float64(okA+okN)/float64(max(1, nA+nN)), okA, nA, okN, nN)
}

// round keeps the file readable and stable: 4 decimals.
func round(m *answer.DeclineModel) {
	r := func(x float64) float64 { return math.Round(x*1e4) / 1e4 }
	for i := range m.Weights {
		m.Weights[i] = r(m.Weights[i])
	}
	m.Bias, m.Threshold = r(m.Bias), r(m.Threshold)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func baseNames(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f[strings.LastIndexByte(f, '/')+1:]
	}
	return out
}
