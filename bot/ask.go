package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/term"
	"golang.org/x/text/width"

	"github.com/newsbot/newsbot/answer"
)

type jsonCitation struct {
	N         int    `json:"n"`
	PassageID string `json:"passage_id"`
	ArticleID string `json:"article_id"`
	Title     string `json:"title"`
	Source    string `json:"source"`
	URL       string `json:"url"`
	Text      string `json:"text"`
}

type jsonAnswer struct {
	Question  string             `json:"question"`
	Answer    string             `json:"answer"`
	Declined  bool               `json:"declined"`
	Mode      string             `json:"mode"`
	Model     string             `json:"model,omitempty"`
	Citations []jsonCitation     `json:"citations"`
	Closest   []string           `json:"closest,omitempty"`
	Usage     *answer.Usage      `json:"usage,omitempty"`
	TimingsMs map[string]float64 `json:"timings_ms"`
}

// ask is "bot ask": answer a question, streaming the answer as it comes.
func (c *cli) ask(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addIndexFlags(fs)
	file := addConfigFlag(fs)
	k := fs.Int("k", 0, "passages retrieved for the answer (default 10)")
	asJSON := fs.Bool("json", false, "print one JSON document")
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	question := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if question == "" {
		return usageError{`ask needs a question, e.g. bot ask "Will Iran allow inspections of its military sites?"`}
	}
	if *k < 0 || *k > 50 {
		return usageError{fmt.Sprintf("-k must be between 1 and 50, got %d", *k)}
	}
	if err := c.configure(fs, *file, false); err != nil {
		return err
	}
	ix, err := c.openIndex(ctx, true, nil)
	if err != nil {
		return err
	}
	defer ix.Close()
	eng, err := c.engine(ix, *k)
	if err != nil {
		return err
	}

	// On a terminal the answer streams and then settles into the checked
	// text; elsewhere (a pipe, a file) the checked text is printed once.
	out := newAnswerPrinter(c.stdout)
	var onPartial func(string)
	if !*asJSON && out.tty {
		onPartial = out.partial
	}
	res, err := eng.Answer(ctx, answer.Question{Text: question}, onPartial)
	if err != nil {
		return err
	}
	if *asJSON {
		ja := jsonAnswer{Question: question, Answer: res.Text, Declined: res.Declined, Mode: res.Mode, Model: res.Model,
			Citations: []jsonCitation{}, Closest: res.Closest,
			TimingsMs: map[string]float64{"retrieve": ms(res.Timings.Retrieve), "generate": ms(res.Timings.Generate), "total": ms(res.Timings.Total)}}
		if res.Usage != (answer.Usage{}) {
			ja.Usage = &res.Usage
		}
		for _, ci := range res.Citations {
			ja.Citations = append(ja.Citations, jsonCitation{N: ci.N, PassageID: ci.ID, ArticleID: ci.ArticleID,
				Title: ci.Title, Source: ci.Source, URL: ci.URL, Text: ci.Text})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ja)
	}
	out.final(res.Text)
	fmt.Fprintln(c.stdout)
	if len(res.Citations) > 0 {
		fmt.Fprintln(c.stdout, "\nSources:")
		for _, ci := range res.Citations {
			parts := []string{ci.Title}
			if ci.Source != "" {
				parts = append(parts, ci.Source)
			}
			parts = append(parts, ci.ID)
			fmt.Fprintf(c.stdout, "[%d] %s\n", ci.N, strings.Join(parts, " — "))
			if ci.URL != "" {
				fmt.Fprintf(c.stdout, "    %s\n", ci.URL)
			}
		}
	}
	return nil
}

// answerPrinter shows an answer exactly once. On a terminal it prints the
// text as it streams, and if the checked answer differs (a citation moved,
// a note added, a fallback) it erases what it streamed and prints the
// checked text in its place; what stays on screen is the final answer.
// Elsewhere only the final text is printed.
type answerPrinter struct {
	w   io.Writer
	tty bool
	// size gives the terminal's columns and rows, to know how many rows
	// the streamed text took; ok is false when unknown.
	size func() (cols, rows int, ok bool)

	mu      sync.Mutex
	printed string // what has been streamed
}

func newAnswerPrinter(w io.Writer) *answerPrinter {
	p := &answerPrinter{w: w, tty: isTerminal(w), size: func() (int, int, bool) { return 0, 0, false }}
	if f, ok := w.(*os.File); ok && p.tty {
		p.size = func() (int, int, bool) {
			cols, rows, err := term.GetSize(int(f.Fd()))
			return cols, rows, err == nil && cols > 0 && rows > 0
		}
	}
	return p
}

// partial prints what is new in s, the whole answer so far, when it
// extends what is printed.
func (p *answerPrinter) partial(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.HasPrefix(s, p.printed) {
		fmt.Fprint(p.w, s[len(p.printed):])
		p.printed = s
	}
}

// final prints the checked answer: the rest of it when the stream is its
// beginning, otherwise in place of the stream.
func (p *answerPrinter) final(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case strings.HasPrefix(s, p.printed):
		fmt.Fprint(p.w, s[len(p.printed):])
	default:
		cols, rows, ok := p.size()
		if n := screenRows(p.printed, cols); ok && n < rows {
			// Back to the first row of the stream, and clear from there.
			if n > 1 {
				fmt.Fprintf(p.w, "\x1b[%dA", n-1)
			}
			fmt.Fprint(p.w, "\r\x1b[J", s)
		} else {
			// The stream has scrolled out of reach: say that what follows
			// replaces it.
			fmt.Fprint(p.w, "\n\n(checked answer:)\n", s)
		}
	}
	p.printed = s
}

// screenRows is how many terminal rows text takes at cols columns.
func screenRows(text string, cols int) int {
	if cols <= 0 {
		return 0
	}
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		w := 0
		for _, r := range line {
			w += runeCells(r)
		}
		rows += max(1, (w+cols-1)/cols)
	}
	return rows
}

// runeCells is how many terminal cells r takes: two for wide East Asian
// characters, none for combining marks and zero-width characters.
func runeCells(r rune) int {
	switch {
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
