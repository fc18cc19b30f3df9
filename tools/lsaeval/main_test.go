package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeCorpus writes a small corpus: two seed articles, and "BBC" articles
// on two topics whose synonyms ("rocket", "missile") never meet in one
// article.
func writeCorpus(t *testing.T) (seeds, bbc, eval string) {
	t.Helper()
	root := t.TempDir()
	seeds, bbc, eval = filepath.Join(root, "seeds"), filepath.Join(root, "bbc"), filepath.Join(root, "eval")
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(seeds, "s1.txt"), "Navy tests a missile\n\nThe navy fired a ballistic missile from its base in a launch test.\n")
	write(filepath.Join(seeds, "s2.txt"), "Club wins the league\n\nThe striker scored a late goal and the club won the league match.\n")
	military := []string{"navy", "ballistic", "launch", "warhead", "base", "test", "fired", "range"}
	football := []string{"club", "league", "goal", "match", "keeper", "scored", "season", "coach"}
	for i := 0; i < 12; i++ {
		for _, tp := range []struct {
			dir, word string
			ctx       []string
		}{
			{"world", []string{"rocket", "missile"}[i%2], military},
			{"sport", []string{"footballer", "striker"}[i%2], football},
		} {
			var b strings.Builder
			for s := 0; s < 3; s++ {
				words := []string{tp.word}
				for w := 0; w < 5; w++ {
					words = append(words, tp.ctx[(i+s*3+w*5)%len(tp.ctx)])
				}
				fmt.Fprintf(&b, "%s. ", strings.Join(words, " "))
			}
			write(filepath.Join(bbc, tp.dir, fmt.Sprintf("%03d.txt", i)), fmt.Sprintf("Report %d\n\n%s\n", i, b.String()))
		}
	}
	q := func(id, question, relevant string) string {
		return fmt.Sprintf(`{"id":%q,"question":%q,"answers":[],"relevant":[%q]}`+"\n", id, question, relevant)
	}
	write(filepath.Join(eval, "seeds-mixed.jsonl"), q("m1", "Which navy fired a ballistic missile?", "seeds/s1"))
	write(filepath.Join(eval, "seeds-paraphrase.jsonl"), q("p1", "Who launched a rocket?", "seeds/s1")+
		`{"id":"p2","question":"What is the capital of Australia?","answers":[],"relevant":[]}`+"\n")
	write(filepath.Join(eval, "bbc-claims.jsonl"), q("b1", "Which article says the striker scored a goal?", "sport/001"))
	return seeds, bbc, eval
}

func TestRunPrintsTheComparison(t *testing.T) {
	seeds, bbc, eval := writeCorpus(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-seeds", seeds, "-bbc", bbc, "-eval", eval, "-dim", "8", "-v"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var rows []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| set") {
			rows = append(rows, line)
		}
	}
	want := []string{"seeds mixed | hybrid", "seeds mixed | vector", "paraphrase | hybrid", "paraphrase | vector", "bbc claims | hybrid", "bbc claims | vector"}
	if len(rows) != len(want) {
		t.Fatalf("%d table rows, want %d:\n%s", len(rows), len(want), out.String())
	}
	for i, row := range rows {
		if !strings.HasPrefix(row, "| "+want[i]+" |") {
			t.Errorf("row %d = %q, want it to start with %q", i, row, want[i])
		}
		cells := strings.Split(strings.Trim(row, "| "), " | ")
		for _, c := range cells[2:] {
			if v, err := strconv.ParseFloat(c, 64); err != nil || v < 0 || v > 1 {
				t.Errorf("row %q: cell %q is not a score in [0, 1]", row, c)
			}
		}
	}
	// The exact question is answerable by both embedders.
	if !strings.HasPrefix(rows[0], "| seeds mixed | hybrid | 1.000 | 1.000 |") {
		t.Errorf("seeds mixed, hybrid: %q, want recall 1 for both", rows[0])
	}
	if !strings.Contains(out.String(), "model of") {
		t.Errorf("no training note in:\n%s", out.String())
	}
}

func TestRunRefusesMissingFolders(t *testing.T) {
	seeds, _, eval := writeCorpus(t)
	err := run(context.Background(), []string{"-seeds", seeds, "-bbc", filepath.Join(t.TempDir(), "absent"), "-eval", eval}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("run with a missing corpus succeeded")
	}
}
