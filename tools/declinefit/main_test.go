package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsbot/newsbot/answer"
)

// TestFitSeparates fits evidence where answerable questions have high
// window coverage and off-corpus ones low: the model must tell them apart
// on new rows, leave hard-evidence rows out of the fit, and write a file
// the answer engine's format accepts.
func TestFitSeparates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	row := func(answerable bool) string {
		w := 0.35 + 0.2*rng.Float64()
		if answerable {
			w = 0.65 + 0.3*rng.Float64()
		}
		r := struct {
			ID         string          `json:"id"`
			Answerable bool            `json:"answerable"`
			Evidence   answer.Evidence `json:"evidence"`
		}{"q", answerable, answer.Evidence{Coverage: w, Window: w, Words: 6}}
		b, _ := json.Marshal(r)
		return string(b)
	}
	var lines []string
	for range 200 {
		lines = append(lines, row(true), row(false))
	}
	// A hard-evidence row that the soft features would call answerable:
	// it must not be fitted on.
	lines = append(lines, `{"id":"h","answerable":false,"evidence":{"coverage":1,"window":1,"words":6,"missing":["Zork"]}}`)
	dir := t.TempDir()
	in := filepath.Join(dir, "ev.jsonl")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "decline.json")
	var log bytes.Buffer
	if err := run([]string{in}, out, "", 0.01, 0.5, map[string]bool{"window": true}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "fitted on 400 questions") {
		t.Errorf("report: %s", log.String())
	}
	var m answer.DeclineModel
	data, _ := os.ReadFile(out)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Features {
		if f != "window" && m.Weights[i] != 0 {
			t.Errorf("feature %s not asked for got weight %v", f, m.Weights[i])
		}
	}
	high := answer.Evidence{Coverage: 0.9, Window: 0.9, Words: 6}
	low := answer.Evidence{Coverage: 0.4, Window: 0.4, Words: 6}
	if m.P(high) < m.Threshold || m.P(low) >= m.Threshold {
		t.Errorf("P(high) = %.3f, P(low) = %.3f, threshold %.3f: the model doesn't separate them", m.P(high), m.P(low), m.Threshold)
	}
}
