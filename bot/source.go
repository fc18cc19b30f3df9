package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/newsbot/newsbot/retrieval"
)

type jsonPassage struct {
	PassageID string  `json:"passage_id"`
	ArticleID string  `json:"article_id"`
	Title     string  `json:"title"`
	Source    string  `json:"source"`
	URL       string  `json:"url"`
	Published string  `json:"published"`
	Text      string  `json:"text"`
	Score     float64 `json:"score"`
}

func toJSONPassage(r retrieval.Result) jsonPassage {
	pub := ""
	if !r.Published.IsZero() {
		pub = r.Published.Format("2006-01-02")
	}
	return jsonPassage{PassageID: r.ID, ArticleID: r.ArticleID, Title: r.Title, Source: r.Source, URL: r.URL,
		Published: pub, Text: r.Text, Score: r.Score}
}

// source is "bot source": the best passages for a query.
func (c *cli) source(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("source", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addIndexFlags(fs)
	file := addConfigFlag(fs)
	k := fs.Int("k", 5, "number of passages")
	asJSON := fs.Bool("json", false, "print one JSON document")
	src := fs.String("outlet", "", "only passages from this outlet")
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	query := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if query == "" {
		return usageError{`source needs a query, e.g. bot source "missile sanctions"`}
	}
	if *k < 1 || *k > 100 {
		return usageError{fmt.Sprintf("-k must be between 1 and 100, got %d", *k)}
	}
	if err := c.configure(fs, *file, false); err != nil {
		return err
	}
	ix, err := c.openIndex(ctx, true, nil)
	if err != nil {
		return err
	}
	defer ix.Close()
	res, err := ix.Search(ctx, retrieval.Query{Text: query, K: *k, Source: *src})
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			Query   string        `json:"query"`
			Results []jsonPassage `json:"results"`
		}{Query: query, Results: []jsonPassage{}}
		for _, r := range res {
			out.Results = append(out.Results, toJSONPassage(r))
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(res) == 0 {
		fmt.Fprintf(c.stdout, "No passage matches %q.\n", query)
		return nil
	}
	open, close := "**", "**"
	if isTerminal(c.stdout) {
		open, close = "\033[1m", "\033[0m"
	}
	for i, r := range res {
		fmt.Fprintf(c.stdout, "[%d] %s\n", i+1, r.Title)
		meta := []string{}
		if r.Source != "" {
			meta = append(meta, r.Source)
		}
		if !r.Published.IsZero() {
			meta = append(meta, r.Published.Format("2006-01-02"))
		}
		meta = append(meta, r.ID, fmt.Sprintf("score %.3f", r.Score))
		fmt.Fprintf(c.stdout, "    %s\n", strings.Join(meta, " · "))
		if r.URL != "" {
			fmt.Fprintf(c.stdout, "    %s\n", r.URL)
		}
		text := ix.Highlight(r.Text, query, open, close)
		for _, para := range strings.Split(text, "\n\n") {
			fmt.Fprintf(c.stdout, "    %s\n", strings.TrimSpace(para))
		}
		fmt.Fprintln(c.stdout)
	}
	return nil
}
