// Command lsaeval measures the LSA embedder (package retrieval/lsa) against
// the default hashing embedder on the dev question sets, for the hybrid and
// vector-only rankings, and prints a Markdown table:
//
//	cd tools && go run ./lsaeval [-window 5] [-dim 128] [-wlsa 1] [-idfhash]
//
// It trains one model per corpus (the seeds mixed into BBC, and BBC alone),
// as a first full index would, and reports the training time. The BBC
// corpus is looked for beside the repository (../shared/corpora/bbc).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/newsbot/newsbot/internal/testkit"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/lsa"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lsaeval:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lsaeval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seeds := fs.String("seeds", "../testdata/articles", "seed articles folder")
	bbc := fs.String("bbc", testkit.FindCorpus("bbc"), "BBC corpus folder")
	evalDir := fs.String("eval", "../testdata/eval", "folder of the question sets")
	var o lsa.Options
	fs.IntVar(&o.Window, "window", 0, "co-occurrence window, words each side (default 5)")
	fs.IntVar(&o.Dim, "dim", 0, "LSA dimensions (default 128)")
	fs.IntVar(&o.Vocab, "vocab", 0, "vocabulary size (default 20000)")
	fs.IntVar(&o.PowerIters, "power", 0, "power iterations (default 2)")
	fs.Float64Var(&o.Alpha, "alpha", 0, "singular value exponent (default 0.5)")
	var eo lsa.EmbedOptions
	fs.Float64Var(&eo.HashWeight, "whash", 1, "weight of the hashing half")
	fs.Float64Var(&eo.LSAWeight, "wlsa", 1, "weight of the LSA half")
	fs.BoolVar(&eo.KeepMean, "keepmean", false, "keep the mean text vector in the LSA half")
	fs.BoolVar(&eo.WeightHash, "idfhash", false, "weight the hashing half's words by idf")
	verbose := fs.Bool("v", false, "print the rank of the relevant article per question")
	ask := fs.String("ask", "", "queries, separated by |, whose top 3 on the mixed corpus are printed for both embedders")
	probe := fs.String("probe", "defence,missile,army,inspection,chamber,rocket,sanctions", "words whose neighbours are printed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bbc == "" {
		return errors.New("no BBC corpus: pass -bbc DIR")
	}
	tmp, err := os.MkdirTemp("", "lsaeval-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	mixed := filepath.Join(tmp, "mixed")
	if err := os.Mkdir(mixed, 0o755); err != nil {
		return err
	}
	for name, dst := range map[string]string{"seeds": *seeds, "bbc": *bbc} {
		abs, err := filepath.Abs(dst)
		if err != nil {
			return err
		}
		if err := os.Symlink(abs, filepath.Join(mixed, name)); err != nil {
			return err
		}
	}

	type set struct{ name, corpus, file string }
	sets := []set{
		{"seeds mixed", mixed, "seeds-mixed.jsonl"},
		{"paraphrase", mixed, "seeds-paraphrase.jsonl"},
		{"bbc claims", *bbc, "bbc-claims.jsonl"},
	}
	type built struct{ hash, lsa *retrieval.Index }
	indexes := map[string]built{}
	fmt.Fprintf(stdout, "| set | mode | hash recall@5 | LSA recall@5 | hash MRR@10 | LSA MRR@10 |\n|---|---|---|---|---|---|\n")
	var notes []string
	for _, s := range sets {
		b, ok := indexes[s.corpus]
		if !ok {
			start := time.Now()
			model, err := train(ctx, s.corpus, o)
			if err != nil {
				return err
			}
			notes = append(notes, fmt.Sprintf("%s: model of %d terms × %d dims trained in %.2fs (id %s)",
				s.name, model.Len(), model.Dim(), time.Since(start).Seconds(), model.ID()))
			if s.corpus == mixed {
				for _, w := range strings.Split(*probe, ",") {
					if w == "" {
						continue
					}
					var ns []string
					for _, n := range model.Neighbours(w, 8) {
						ns = append(ns, fmt.Sprintf("%s %.2f", n.Term, n.Similarity))
					}
					notes = append(notes, fmt.Sprintf("  %s: %s", w, strings.Join(ns, ", ")))
				}
			}
			if b.hash, err = build(ctx, filepath.Join(tmp, "hash"+fmt.Sprint(len(indexes))), s.corpus, retrieval.NewLocalEmbedder(0)); err != nil {
				return err
			}
			if b.lsa, err = build(ctx, filepath.Join(tmp, "lsa"+fmt.Sprint(len(indexes))), s.corpus, lsa.New(model, eo)); err != nil {
				return err
			}
			indexes[s.corpus] = b
			if s.corpus == mixed && *ask != "" {
				for _, text := range strings.Split(*ask, "|") {
					for _, e := range []struct {
						name string
						ix   *retrieval.Index
					}{{"hash", b.hash}, {"LSA", b.lsa}} {
						res, err := e.ix.Search(ctx, retrieval.Query{Text: text, K: 3})
						if err != nil {
							return err
						}
						var top []string
						for _, r := range res {
							top = append(top, fmt.Sprintf("%s %q", r.ID, excerpt(r.Text, 60)))
						}
						notes = append(notes, fmt.Sprintf("%q, %s: %s", text, e.name, strings.Join(top, "; ")))
					}
				}
			}
		}
		qs, err := readQuestions(filepath.Join(*evalDir, s.file))
		if err != nil {
			return err
		}
		for _, mode := range []string{retrieval.ModeHybrid, retrieval.ModeVector} {
			h, err := measure(ctx, b.hash, qs, mode)
			if err != nil {
				return err
			}
			l, err := measure(ctx, b.lsa, qs, mode)
			if err != nil {
				return err
			}
			name := mode
			if name == "" {
				name = "hybrid"
			}
			if *verbose {
				for i, q := range qs {
					if h.ranks[i] != l.ranks[i] {
						notes = append(notes, fmt.Sprintf("%s %s %s: rank hash %d, LSA %d: %s", s.name, name, q.ID, h.ranks[i], l.ranks[i], q.Question))
					}
				}
			}
			fmt.Fprintf(stdout, "| %s | %s | %.3f | %.3f | %.3f | %.3f |\n", s.name, name, h.recall, l.recall, h.mrr, l.mrr)
		}
	}
	fmt.Fprintln(stdout)
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	return nil
}

// train learns a model from the articles of corpus, each as its title and
// text.
func train(ctx context.Context, corpus string, o lsa.Options) (*lsa.Model, error) {
	arts, _, err := article.LoadDir(ctx, corpus, article.Options{})
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(arts))
	for i, a := range arts {
		texts[i] = a.Title + "\n\n" + a.Text
	}
	return lsa.Train(ctx, texts, o)
}

func build(ctx context.Context, dir, corpus string, emb retrieval.Embedder) (*retrieval.Index, error) {
	ix, err := retrieval.Open(retrieval.Options{Dir: dir, Embedder: emb})
	if err != nil {
		return nil, err
	}
	if _, err := ix.Reindex(ctx, corpus, nil); err != nil {
		return nil, err
	}
	return ix, nil
}

// excerpt returns the first n runes of s on one line.
func excerpt(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

type question struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Relevant []string `json:"relevant"`
}

func readQuestions(path string) ([]question, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var qs []question
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q question
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		qs = append(qs, q)
	}
	return qs, sc.Err()
}

type scores struct {
	recall, mrr float64
	ranks       []int // per question, of the first relevant article (0: not in the top 10)
}

// measure computes recall@5 and MRR@10 over the answerable questions, as
// `bot eval` does.
func measure(ctx context.Context, ix *retrieval.Index, qs []question, mode string) (scores, error) {
	var s scores
	n := 0
	s.ranks = make([]int, len(qs))
	for qi, q := range qs {
		if len(q.Relevant) == 0 {
			continue
		}
		n++
		top, err := ix.Search(ctx, retrieval.Query{Text: q.Question, K: 5, Mode: mode})
		if err != nil {
			return s, err
		}
		for _, r := range top {
			if slices.Contains(q.Relevant, r.ArticleID) {
				s.recall++
				break
			}
		}
		deep, err := ix.Search(ctx, retrieval.Query{Text: q.Question, K: 40, Mode: mode})
		if err != nil {
			return s, err
		}
		seen := map[string]bool{}
		for _, r := range deep {
			if seen[r.ArticleID] {
				continue
			}
			seen[r.ArticleID] = true
			if len(seen) > 10 {
				break
			}
			if slices.Contains(q.Relevant, r.ArticleID) {
				s.mrr += 1 / float64(len(seen))
				s.ranks[qi] = len(seen)
				break
			}
		}
	}
	if n > 0 {
		s.recall /= float64(n)
		s.mrr /= float64(n)
	}
	return s, nil
}
