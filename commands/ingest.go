package commands

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

func (r *Router) ingestCommand() *command {
	return adminCommand(&discordgo.ApplicationCommand{
		Name:        "ingest",
		Description: "Admins: add an article from a file or a web page, and index it",
		Options: []*discordgo.ApplicationCommandOption{
			{
				Type:        discordgo.ApplicationCommandOptionAttachment,
				Name:        "file",
				Description: "An article file: " + r.supported,
			},
			{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "url",
				Description: "The address of a web page holding the article",
				MaxLength:   2048,
			},
		},
	}, r.handleIngest)
}

// handleIngest adds one file to the corpus: download (an attachment, or a
// page through the Fetcher), then hand it to the Ingester, which validates,
// saves and indexes it, and report what became answerable.
func (r *Router) handleIngest(ctx context.Context, x *exchange) error {
	if err := r.checkAdmin(x.i, "ingest"); err != nil {
		return err
	}
	file := attachmentOption(x.i, "file")
	rawURL := strings.TrimSpace(optString(x.i, "url"))
	switch {
	case file == nil && rawURL == "":
		return userErrorf("Give a file or a url to add.")
	case file != nil && rawURL != "":
		return userErrorf("Give a file or a url, not both.")
	case file != nil && !r.supports(file.Filename):
		return userErrorf("I can only add %s files.", r.supported)
	case file != nil && int64(file.Size) > r.cfg.MaxUploadBytes:
		return userErrorf("That file is %s; the limit is %s.", formatBytes(int64(file.Size)), formatBytes(r.cfg.MaxUploadBytes))
	case rawURL != "" && r.cfg.Fetcher == nil:
		return userErrorf("Adding web pages is turned off on this bot; upload the article as a file instead.")
	}
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}

	fetchStart := time.Now()
	var name string
	var data []byte
	var err error
	if file != nil {
		name = file.Filename
		data, err = r.download(ctx, x.s, file)
	} else {
		var page seam.Page
		page, err = r.cfg.Fetcher.Fetch(ctx, rawURL)
		if err != nil {
			err = fmt.Errorf("fetch %q: %w", rawURL, err)
		}
		name, data = page.Name, page.Data
	}
	x.trace.stage("download", time.Since(fetchStart))
	if err != nil {
		return err
	}
	x.trace.set(slog.Int("bytes", len(data)))

	res, err := r.ingest(ctx, x, seam.Upload{Name: name, Data: data, By: actor(x.i)})
	if err != nil {
		return err
	}
	return x.report(renderIngested(res))
}

// supports reports whether the Ingester reads files named like name.
func (r *Router) supports(name string) bool {
	return slices.Contains(r.cfg.Ingester.Extensions(), strings.ToLower(path.Ext(name)))
}

// ingest hands a file to the Ingester, editing the reply as it goes:
// saved, the reindex's progress, and a note when it waits for another
// reindex. Saving and reindexing run under the router's context, as
// /reindex does (a large corpus may take longer than Discord keeps the
// reply editable); only the wait for another reindex is bounded by the
// interaction's deadline.
func (r *Router) ingest(ctx context.Context, x *exchange, up seam.Upload) (seam.Ingested, error) {
	work, cancel := context.WithCancelCause(r.base)
	defer cancel(nil)
	var (
		th       *throttle
		stopWait func() bool
		editErr  error
	)
	edit := func(m message) {
		if err := x.edit(ctx, m); err != nil && editErr == nil {
			editErr = err
			cancel(err)
		}
	}
	progress := func(p seam.Progress) {
		switch p.Stage {
		case seam.StageSaved:
			x.trace.set(slog.String("file", p.Path))
			edit(message{Content: fmt.Sprintf("Saved as `%s`. Indexing…", p.Path)})
		case seam.StageWaiting:
			edit(message{Content: "Another reindex is running; I'll add the file when it has finished…"})
			stopWait = context.AfterFunc(ctx, func() { cancel(ctx.Err()) })
		default:
			if stopWait != nil {
				stopWait()
				stopWait = nil
			}
			if th == nil {
				th = startThrottle(ctx, r.cfg.EditInterval, x.edit)
			}
			th.update(renderProgress(p))
		}
	}
	res, err := r.cfg.Ingester.Ingest(work, up, progress)
	if th != nil {
		th.halt()
	}
	if stopWait != nil {
		stopWait()
	}
	if d := res.Reindex.Duration; d > 0 {
		x.trace.stage("reindex", d)
	}
	switch {
	case editErr != nil:
		return res, editErr
	case err != nil:
		return res, err
	}
	traceSummary(x.trace, res.Reindex)
	return res, nil
}

// attachmentOption returns the resolved attachment of a command option.
func attachmentOption(i *discordgo.Interaction, name string) *discordgo.MessageAttachment {
	o := option(i, name)
	if o == nil || o.Type != discordgo.ApplicationCommandOptionAttachment {
		return nil
	}
	id, _ := o.Value.(string)
	res := i.ApplicationCommandData().Resolved
	if res == nil || res.Attachments == nil {
		return nil
	}
	return res.Attachments[id]
}

// download fetches an attachment from Discord's CDN with the session's HTTP
// client, reading at most MaxUploadBytes.
func (r *Router) download(ctx context.Context, s *discordgo.Session, a *discordgo.MessageAttachment) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("attachment request: %w", err)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download attachment: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download attachment: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxUploadBytes+1))
	if err != nil {
		return nil, fmt.Errorf("download attachment: %w", err)
	}
	if int64(len(data)) > r.cfg.MaxUploadBytes {
		return nil, userErrorf("That file is larger than the %s limit.", formatBytes(r.cfg.MaxUploadBytes))
	}
	return data, nil
}

// renderIngested reports what an ingested file added to the index: its
// articles' titles and passage counts, or why they were skipped.
func renderIngested(in seam.Ingested) message {
	found := in.Articles
	var b strings.Builder
	if in.Existed {
		fmt.Fprintf(&b, "That file was already in the corpus as `%s`.", in.Path)
	} else {
		fmt.Fprintf(&b, "Saved as `%s`.", in.Path)
	}
	switch {
	case len(found) == 1:
		a := found[0]
		fmt.Fprintf(&b, " “%s”", neutralise(orUntitled(clip(a.Title, 200))))
		if meta := joinNonEmpty(", ", neutralise(clip(oneLine(a.Source), 60)), date(a.Published)); meta != "" {
			b.WriteString(" (" + meta + ")")
		}
		fmt.Fprintf(&b, " is indexed in %s and can now be asked about with /ask.", plural(a.Passages, "passage"))
	case len(found) > 1:
		passages := 0
		for _, a := range found {
			passages += a.Passages
		}
		fmt.Fprintf(&b, " %s (%s) are indexed and can now be asked about with /ask:", plural(len(found), "article"), plural(passages, "passage"))
		for i, a := range found {
			if i == 5 {
				fmt.Fprintf(&b, "\n…and %d more.", len(found)-5)
				break
			}
			fmt.Fprintf(&b, "\n• %s", neutralise(orUntitled(clip(a.Title, 200))))
		}
	default:
		b.WriteString(" But nothing from it is in the index.")
	}
	if len(in.Skipped) > 0 {
		b.WriteString("\nSkipped:")
		for i, p := range in.Skipped {
			if i == 5 {
				fmt.Fprintf(&b, "\n…and %d more.", len(in.Skipped)-5)
				break
			}
			b.WriteString("\n• " + problemText(p))
		}
	}
	return message{Content: clip(b.String(), MessageLimit), Ephemeral: true}
}

// plural writes a count with its noun.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// formatBytes writes a size the way limits are stated.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
