package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
)

// evalQuestion is one line of a question file.
type evalQuestion struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Relevant []string `json:"relevant"`
}

// readQuestions parses a JSON Lines question file, naming the line of any
// malformed entry.
func readQuestions(path string) ([]evalQuestion, error) {
	return readJSONLines(path, "question", func(line int, q *evalQuestion) error {
		if strings.TrimSpace(q.Question) == "" {
			return errors.New("question is empty")
		}
		if q.ID == "" {
			q.ID = fmt.Sprintf("line%d", line)
		}
		return nil
	})
}

// readJSONLines parses a JSON Lines file of what entries (blank lines
// skipped, unknown fields refused), checking each with check; errors name
// the file and the line.
func readJSONLines[T any](path, what string, check func(line int, v *T) error) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("questions: %w", err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var v T
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s:%d: malformed %s: %v", path, line, what, err)
		}
		if err := check(line, &v); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %ss", path, what)
	}
	return out, nil
}

// evalMetrics is what `bot eval -json` prints: exactly these keys.
type evalMetrics struct {
	RecallAt5       float64 `json:"recall_at_5"`
	MRRAt10         float64 `json:"mrr_at_10"`
	AnswerHitAt5    float64 `json:"answer_hit_at_5"`
	AnswerHit       float64 `json:"answer_hit"`
	ContextHit      float64 `json:"context_hit"`
	DeclineAccuracy float64 `json:"decline_accuracy"`
	RetrievalMsP50  float64 `json:"retrieval_ms_p50"`
	RetrievalMsP95  float64 `json:"retrieval_ms_p95"`
	AnswerMsP50     float64 `json:"answer_ms_p50"`
	AnswerMsP95     float64 `json:"answer_ms_p95"`
	IndexSeconds    float64 `json:"index_seconds"`
	Passages        int     `json:"passages"`
	Questions       int     `json:"questions"`
	Mode            string  `json:"mode"`
}

// eval is "bot eval": index a corpus, run a question set, print metrics.
func (c *cli) eval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	corpus := fs.String("corpus", "", "folder of articles to index (required)")
	questions := fs.String("questions", "", "JSON Lines question file (required)")
	data := fs.String("data", "", "data folder for the index (default: a temporary folder)")
	k := fs.Int("k", 0, "passages retrieved per answer (default: the engine's)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	verbose := fs.Bool("v", false, "list each failed question with what was retrieved")
	mode := fs.String("mode", "", `ranking for the retrieval metrics: "" (hybrid), "keyword" (BM25 alone) or "vector"`)
	evidenceOut := fs.String("evidence", "", "write each question's decline evidence to this JSON Lines file (for tools/declinefit)")
	file := addConfigFlag(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if *mode != retrieval.ModeHybrid && *mode != retrieval.ModeKeyword && *mode != retrieval.ModeVector {
		return usageError{fmt.Sprintf("-mode must be keyword or vector (or empty for hybrid), got %q", *mode)}
	}
	if *corpus == "" || *questions == "" {
		return usageError{"eval needs -corpus DIR and -questions FILE"}
	}
	// The model and embedder come from the configuration; -corpus and
	// -data are eval's own (a temporary index unless -data is given).
	if err := c.configure(fs, *file, false); err != nil {
		return err
	}
	if err := checkCorpus(*corpus); err != nil {
		return err
	}
	qs, convs, err := readQuestionFile(*questions)
	if err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "newsbot-eval-")
		if err != nil {
			return fmt.Errorf("eval: temporary data folder: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	emb, err := c.embedder(ctx, dir, *corpus)
	if err != nil {
		return err
	}
	ix, err := c.openIndexIn(dir, emb)
	if err != nil {
		return err
	}
	defer ix.Close()
	start := time.Now()
	sum, err := ix.Reindex(ctx, *corpus, nil)
	if err != nil {
		return err
	}
	m := evalMetrics{IndexSeconds: round3(time.Since(start).Seconds()), Passages: sum.Passages}

	eng, err := c.engine(ix, *k)
	if err != nil {
		return err
	}
	m.Mode = answer.ModeExtractive
	if !eng.Offline() {
		m.Mode = answer.ModeLLM
	}

	var evidence *json.Encoder
	if *evidenceOut != "" {
		f, err := os.Create(*evidenceOut)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer f.Close()
		evidence = json.NewEncoder(f)
	}
	sc := &scorer{ix: ix, eng: eng, mode: *mode, evidence: evidence}
	if convs != nil {
		return c.evalConversations(ctx, sc, convs, m, *asJSON, *verbose)
	}
	all := &tally{}
	for _, q := range qs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := sc.score(ctx, q, nil, all); err != nil {
			return err
		}
	}
	m = all.metrics(m)
	if *verbose {
		for _, f := range all.failures {
			fmt.Fprintln(c.stderr, f)
		}
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(m)
	}
	printMetrics(c.stdout, m, len(all.failures))
	return nil
}

// scorer runs questions through the engine and scores them.
type scorer struct {
	ix       *retrieval.Index
	eng      *answer.Engine
	mode     string        // ranking for the retrieval metrics
	evidence *json.Encoder // the decline evidence, when asked for
}

// tally adds up the scores of a set of questions.
type tally struct {
	m                     evalMetrics
	nRel, nAns            int
	retrievalMs, answerMs []float64
	failures              []string
}

// score answers q after the turns in history (none for a question on its
// own), adds its scores to each tally, and returns the engine's result.
// The retrieval metrics search what the engine searched: a follow-up's
// standalone query, preferring the articles cited before.
func (sc *scorer) score(ctx context.Context, q evalQuestion, history []answer.Turn, tallies ...*tally) (answer.Result, error) {
	t1 := time.Now()
	res, err := sc.eng.Answer(ctx, answer.Question{Text: q.Question, History: history}, nil)
	answerMs := ms(time.Since(t1))
	if err != nil {
		return res, fmt.Errorf("eval %s: %w", q.ID, err)
	}
	query := retrieval.Query{Text: res.Query, K: 5, Mode: sc.mode, Prefer: res.Preferred}
	t0 := time.Now()
	top, err := sc.ix.Search(ctx, query)
	retrievalMs := ms(time.Since(t0))
	if err != nil {
		return res, fmt.Errorf("eval %s: %w", q.ID, err)
	}
	query.K = 40
	deep, err := sc.ix.Search(ctx, query)
	if err != nil {
		return res, fmt.Errorf("eval %s: %w", q.ID, err)
	}
	var why []string
	var got evalMetrics
	if len(q.Relevant) > 0 {
		if hasRelevant(top, q.Relevant) {
			got.RecallAt5 = 1
		} else {
			why = append(why, "no relevant article in the top 5")
		}
		got.MRRAt10 = reciprocalRank(deep, q.Relevant, 10)
	}
	if len(q.Answers) > 0 {
		var texts []string
		for _, r := range top {
			texts = append(texts, r.Text)
		}
		if containsAny(strings.Join(texts, "\n"), q.Answers) {
			got.AnswerHitAt5 = 1
		} else {
			why = append(why, "no expected answer in the top 5 passages")
		}
		if containsAny(res.Text, q.Answers) {
			got.AnswerHit = 1
		} else {
			why = append(why, "no expected answer in the answer")
		}
		// context_hit: the answer is in what a model is sent, and the
		// question reaches the model (Context is nil when it is
		// declined before): the ceiling of a model's answer_hit.
		if contextHit(res.Context, q.Answers) {
			got.ContextHit = 1
		} else {
			why = append(why, "no expected answer in the model's context")
		}
	}
	shouldDecline := len(q.Relevant) == 0 && len(q.Answers) == 0
	if sc.evidence != nil {
		line := evidenceLine{ID: q.ID, Answerable: !shouldDecline, Declined: res.Declined, Evidence: res.Evidence}
		if err := sc.evidence.Encode(line); err != nil {
			return res, fmt.Errorf("eval: write evidence: %w", err)
		}
	}
	if res.Declined == shouldDecline {
		got.DeclineAccuracy = 1
	} else if shouldDecline {
		why = append(why, "answered a question the corpus can't answer")
	} else {
		why = append(why, "declined an answerable question")
	}
	for _, t := range tallies {
		t.m.RecallAt5 += got.RecallAt5
		t.m.MRRAt10 += got.MRRAt10
		t.m.AnswerHitAt5 += got.AnswerHitAt5
		t.m.AnswerHit += got.AnswerHit
		t.m.ContextHit += got.ContextHit
		t.m.DeclineAccuracy += got.DeclineAccuracy
		t.m.Questions++
		if len(q.Relevant) > 0 {
			t.nRel++
		}
		if len(q.Answers) > 0 {
			t.nAns++
		}
		t.retrievalMs = append(t.retrievalMs, retrievalMs)
		t.answerMs = append(t.answerMs, answerMs)
		if len(why) > 0 {
			t.failures = append(t.failures, describeFailure(q, why, top, res))
		}
	}
	return res, nil
}

// metrics are the tally's averages, on top of base (the index figures and
// the mode).
func (t *tally) metrics(base evalMetrics) evalMetrics {
	m := base
	m.Questions = t.m.Questions
	m.RecallAt5 = ratio(t.m.RecallAt5, t.nRel)
	m.MRRAt10 = ratio(t.m.MRRAt10, t.nRel)
	m.AnswerHitAt5 = ratio(t.m.AnswerHitAt5, t.nAns)
	m.AnswerHit = ratio(t.m.AnswerHit, t.nAns)
	m.ContextHit = ratio(t.m.ContextHit, t.nAns)
	m.DeclineAccuracy = ratio(t.m.DeclineAccuracy, t.m.Questions)
	m.RetrievalMsP50, m.RetrievalMsP95 = percentile(t.retrievalMs, 50), percentile(t.retrievalMs, 95)
	m.AnswerMsP50, m.AnswerMsP95 = percentile(t.answerMs, 50), percentile(t.answerMs, 95)
	return m
}

// evidenceLine is one line of `bot eval -evidence`: what the decline
// decision saw for a question, and whether it should have answered.
type evidenceLine struct {
	ID         string          `json:"id"`
	Answerable bool            `json:"answerable"`
	Declined   bool            `json:"declined"`
	Evidence   answer.Evidence `json:"evidence"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ratio(x float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return round3(x / float64(n))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// percentile returns the p-th percentile (nearest rank) of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return round3(s[i])
}

func hasRelevant(rs []retrieval.Result, relevant []string) bool {
	for _, r := range rs {
		if slices.Contains(relevant, r.ArticleID) {
			return true
		}
	}
	return false
}

// reciprocalRank is 1/rank of the first relevant article among the distinct
// articles of rs, 0 when it is not within the first n.
func reciprocalRank(rs []retrieval.Result, relevant []string, n int) float64 {
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.ArticleID] {
			continue
		}
		seen[r.ArticleID] = true
		if len(seen) > n {
			break
		}
		if slices.Contains(relevant, r.ArticleID) {
			return 1 / float64(len(seen))
		}
	}
	return 0
}

// contextHit reports whether an expected answer is inside the passages a
// model is sent, titles included since the prompt shows them (none when
// the question is declined before the model).
func contextHit(context []retrieval.Passage, answers []string) bool {
	texts := make([]string, len(context))
	for i, p := range context {
		texts[i] = p.Title + "\n" + p.Text
	}
	return len(context) > 0 && containsAny(strings.Join(texts, "\n"), answers)
}

// containsAny reports whether text contains one of the answers, ignoring
// case, spacing and quote styles.
func containsAny(text string, answers []string) bool {
	t := matchFold(text)
	for _, a := range answers {
		if a = matchFold(a); a != "" && strings.Contains(t, a) {
			return true
		}
	}
	return false
}

func matchFold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(article.Fold(s))), " ")
}

func describeFailure(q evalQuestion, why []string, top []retrieval.Result, res answer.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FAIL %s %q: %s\n", q.ID, q.Question, strings.Join(why, "; "))
	for i, r := range top {
		fmt.Fprintf(&b, "  %d. %s (cov %.2f, score %.4f) %s\n", i+1, r.ID, r.Coverage, r.Score, excerpt(r.Text, 90))
	}
	fmt.Fprintf(&b, "  answer (declined=%v): %s\n", res.Declined, excerpt(res.Text, 300))
	return b.String()
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func printMetrics(w io.Writer, m evalMetrics, failed int) {
	fmt.Fprintf(w, "questions         %d (%s mode; %d with a failure, -v lists them)\n", m.Questions, m.Mode, failed)
	fmt.Fprintf(w, "recall_at_5       %.3f\n", m.RecallAt5)
	fmt.Fprintf(w, "mrr_at_10         %.3f\n", m.MRRAt10)
	fmt.Fprintf(w, "answer_hit_at_5   %.3f\n", m.AnswerHitAt5)
	fmt.Fprintf(w, "answer_hit        %.3f\n", m.AnswerHit)
	fmt.Fprintf(w, "context_hit       %.3f\n", m.ContextHit)
	fmt.Fprintf(w, "decline_accuracy  %.3f\n", m.DeclineAccuracy)
	fmt.Fprintf(w, "retrieval ms      p50 %.2f  p95 %.2f\n", m.RetrievalMsP50, m.RetrievalMsP95)
	fmt.Fprintf(w, "answer ms         p50 %.2f  p95 %.2f\n", m.AnswerMsP50, m.AnswerMsP95)
	fmt.Fprintf(w, "index             %d passages in %.1fs\n", m.Passages, m.IndexSeconds)
}
