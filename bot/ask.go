package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"sync"

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

	// Stream to the terminal: print what is new each time the answer grows.
	// The final text can differ from the streamed one (citations checked,
	// a fallback); then it is printed again in full.
	var mu sync.Mutex
	printed := ""
	var onPartial func(string)
	if !*asJSON {
		onPartial = func(s string) {
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(s, printed) {
				fmt.Fprint(c.stdout, s[len(printed):])
				printed = s
			}
		}
	}
	res, err := eng.Answer(ctx, answer.Question{Text: question}, onPartial)
	if err != nil {
		return err
	}
	if *asJSON {
		out := jsonAnswer{Question: question, Answer: res.Text, Declined: res.Declined, Mode: res.Mode, Model: res.Model,
			Citations: []jsonCitation{}, Closest: res.Closest,
			TimingsMs: map[string]float64{"retrieve": ms(res.Timings.Retrieve), "generate": ms(res.Timings.Generate), "total": ms(res.Timings.Total)}}
		if res.Usage != (answer.Usage{}) {
			out.Usage = &res.Usage
		}
		for _, ci := range res.Citations {
			out.Citations = append(out.Citations, jsonCitation{N: ci.N, PassageID: ci.ID, ArticleID: ci.ArticleID,
				Title: ci.Title, Source: ci.Source, URL: ci.URL, Text: ci.Text})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	mu.Lock()
	if printed != res.Text {
		if printed != "" {
			fmt.Fprint(c.stdout, "\n\n")
		}
		fmt.Fprint(c.stdout, res.Text)
	}
	mu.Unlock()
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
