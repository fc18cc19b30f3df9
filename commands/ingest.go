package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
)

// ingestDir is the corpus subfolder /ingest saves into.
const ingestDir = "ingested"

// maxFileStem bounds the length of a saved file's name before its
// extension, in bytes.
const maxFileStem = 80

func (r *Router) ingestCommand() *command {
	return &command{
		def: adminDefinition(&discordgo.ApplicationCommand{
			Name:        "ingest",
			Description: "Admins: add an article from a file or a web page, and index it",
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type:        discordgo.ApplicationCommandOptionAttachment,
					Name:        "file",
					Description: "An article file: " + supportedList,
				},
				{
					Type:        discordgo.ApplicationCommandOptionString,
					Name:        "url",
					Description: "The address of a web page holding the article",
					MaxLength:   2048,
				},
			},
		}),
		handle: r.handleIngest,
	}
}

// handleIngest adds one file to the corpus: download (an attachment, or a
// page through the Fetcher), validate by parsing it, save it atomically
// under CorpusDir/ingested, reindex, and report what became answerable.
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
	case file != nil && !article.Supported(file.Filename):
		return userErrorf("I can only add %s files.", supportedList)
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
		var page fetchPage
		page, err = r.fetchPage(ctx, rawURL)
		name, data = page.name, page.body
	}
	x.trace.stage("download", time.Since(fetchStart))
	if err != nil {
		return err
	}
	x.trace.set(slog.Int("bytes", len(data)))

	saved, err := r.saveIngested(name, data)
	if err != nil {
		return err
	}
	x.trace.set(slog.String("file", saved.rel))
	if err := x.edit(ctx, message{Content: fmt.Sprintf("Saved as `%s`. Indexing…", saved.rel)}); err != nil {
		return err
	}
	sum, err := r.reindexWhenFree(ctx, x)
	if err != nil {
		return err
	}
	return x.edit(ctx, renderIngested(saved, sum, r.cfg.Searcher.Articles()))
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

// fetchPage is a downloaded page with the name to save it under.
type fetchPage struct {
	name string
	body []byte
}

func (r *Router) fetchPage(ctx context.Context, rawURL string) (fetchPage, error) {
	p, err := r.cfg.Fetcher.Get(ctx, rawURL)
	if err != nil {
		return fetchPage{}, fmt.Errorf("fetch %q: %w", rawURL, err)
	}
	name := p.Name
	if !article.Supported(name) {
		name = strings.TrimSuffix(name, path.Ext(name)) + extFor(p.ContentType)
	}
	return fetchPage{name: name, body: p.Body}, nil
}

// extFor picks a file extension for a page's content type.
func extFor(contentType string) string {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "html"):
		return ".html"
	case strings.Contains(ct, "json"):
		return ".json"
	case strings.Contains(ct, "markdown"):
		return ".md"
	}
	return ".txt"
}

// savedFile is an ingested file in the corpus.
type savedFile struct {
	rel      string            // path relative to the corpus, slash-separated
	articles []article.Article // as parsed before saving
	existed  bool              // the same bytes were already there
}

// saveIngested validates data by parsing it under its final name, then
// saves it as CorpusDir/ingested/NAME: written to a temporary file in the
// same folder, synced, then linked into place, so a reindex never sees half
// a file. An existing file with other bytes is never overwritten: the name
// gets a suffix. Nothing is saved when the file doesn't parse.
func (r *Router) saveIngested(name string, data []byte) (savedFile, error) {
	r.ingestMu.Lock()
	defer r.ingestMu.Unlock()
	if r.cfg.CorpusDir == "" {
		return savedFile{}, errors.New("ingest: no corpus folder configured")
	}
	dir := filepath.Join(r.cfg.CorpusDir, ingestDir)
	if st, err := os.Lstat(dir); err == nil && !st.IsDir() {
		return savedFile{}, fmt.Errorf("ingest: %s is not a plain folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return savedFile{}, fmt.Errorf("ingest: %w", err)
	}
	base := safeFileName(name)
	stem, ext := strings.TrimSuffix(base, path.Ext(base)), path.Ext(base)
	for n := 1; n <= 1000; n++ {
		fname := base
		if n > 1 {
			fname = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		final := filepath.Join(dir, fname)
		if !inside(r.cfg.CorpusDir, final) {
			return savedFile{}, fmt.Errorf("ingest: %q escapes the corpus folder", fname)
		}
		rel := ingestDir + "/" + fname
		old, err := os.ReadFile(final)
		switch {
		case err == nil && bytes.Equal(old, data):
			arts, _, perr := article.Parse(rel, data, article.Options{MaxFileBytes: r.cfg.MaxUploadBytes})
			if perr != nil {
				return savedFile{}, fmt.Errorf("parse %s: %w", rel, perr)
			}
			return savedFile{rel: rel, articles: arts, existed: true}, nil
		case err == nil || !errors.Is(err, fs.ErrNotExist):
			continue // taken by a different file (or unreadable): try the next name
		}
		arts, _, err := article.Parse(rel, data, article.Options{MaxFileBytes: r.cfg.MaxUploadBytes})
		if err != nil {
			return savedFile{}, fmt.Errorf("parse %s: %w", rel, err)
		}
		if len(arts) == 0 {
			return savedFile{}, fmt.Errorf("parse %s: %w", rel, article.ErrNoText)
		}
		if err := writeNew(dir, final, data); errors.Is(err, fs.ErrExist) {
			continue
		} else if err != nil {
			return savedFile{}, err
		}
		return savedFile{rel: rel, articles: arts}, nil
	}
	return savedFile{}, userErrorf("Too many files are already called %s; rename the file and try again.", base)
}

// writeNew writes data to final atomically, failing with fs.ErrExist when
// final exists.
func writeNew(dir, final string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, ".ingest-*.tmp") // dot files are skipped by the loader
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer func() {
		if rmErr := os.Remove(tmp.Name()); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("ingest: remove temporary file: %w", rmErr)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("ingest: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("ingest: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ingest: close: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	// A hard link puts the complete file in place and, unlike rename,
	// refuses to replace a file that appeared meanwhile.
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fs.ErrExist
		}
		if _, statErr := os.Lstat(final); statErr == nil {
			return fs.ErrExist
		}
		if err := os.Rename(tmp.Name(), final); err != nil { // file systems without hard links
			return fmt.Errorf("ingest: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// inside reports whether p lies within dir.
func inside(dir, p string) bool {
	absDir, err1 := filepath.Abs(dir)
	absP, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(absDir, absP)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// safeFileName turns a name from outside (an attachment's file name, a
// page's suggested name) into a plain file name: no folders, no "..", no
// control or invisible characters, no leading dot, letters, digits, '-',
// '_' and '.' only, at most maxFileStem bytes before the extension, and a
// supported extension in lower case (".txt" when it had none).
func safeFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	ext := strings.ToLower(path.Ext(name))
	stem := strings.TrimSuffix(name, path.Ext(name))
	if !article.Supported("x" + ext) {
		ext, stem = ".txt", name
	}
	var b strings.Builder
	underscore := false
	for _, r := range stem {
		switch {
		case invisible(r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.':
			if r == '.' && strings.HasSuffix(b.String(), ".") {
				continue
			}
			b.WriteRune(r)
			underscore = false
		default:
			if !underscore {
				b.WriteByte('_')
				underscore = true
			}
		}
	}
	s := strings.Trim(b.String(), "._- ")
	if len(s) > maxFileStem {
		cut := maxFileStem
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = strings.Trim(s[:cut], "._- ")
	}
	if s == "" {
		s = "article"
	}
	return s + ext
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// reindexWhenFree reindexes after a save, waiting (up to the interaction's
// deadline) for a reindex that is already running to finish.
func (r *Router) reindexWhenFree(ctx context.Context, x *exchange) (retrieval.Summary, error) {
	told := false
	for {
		sum, err := r.reindex(ctx, x)
		if !errors.Is(err, retrieval.ErrReindexRunning) {
			return sum, err
		}
		if !told {
			told = true
			if err := x.edit(ctx, message{Content: "Saved. Another reindex is running; I'll index the file when it has finished…"}); err != nil {
				return sum, err
			}
		}
		select {
		case <-ctx.Done():
			return sum, fmt.Errorf("wait for the running reindex: %w", ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}

// renderIngested reports what an ingested file added to the index: its
// articles' titles and passage counts, or why they were skipped.
func renderIngested(f savedFile, sum retrieval.Summary, indexed []retrieval.ArticleInfo) message {
	byID := make(map[string]retrieval.ArticleInfo, len(indexed))
	for _, a := range indexed {
		byID[a.ID] = a
	}
	var found []retrieval.ArticleInfo
	for _, a := range f.articles {
		if info, ok := byID[a.ID]; ok && info.Path == f.rel {
			found = append(found, info)
		}
	}
	var b strings.Builder
	if f.existed {
		fmt.Fprintf(&b, "That file was already in the corpus as `%s`.", f.rel)
	} else {
		fmt.Fprintf(&b, "Saved as `%s`.", f.rel)
	}
	switch {
	case len(found) == 1:
		a := found[0]
		fmt.Fprintf(&b, " “%s”", escapeMarkdown(neutralise(orUntitled(clip(a.Title, 200)))))
		if meta := joinNonEmpty(", ", escapeMarkdown(neutralise(clip(oneLine(a.Source), 60))), date(a.Published)); meta != "" {
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
			fmt.Fprintf(&b, "\n• %s", escapeMarkdown(neutralise(orUntitled(clip(a.Title, 200)))))
		}
	default:
		b.WriteString(" But nothing from it is in the index.")
	}
	var problems []string
	for _, p := range sum.Skipped {
		if p.Path == f.rel {
			problems = append(problems, problemText(p))
		}
	}
	if len(problems) > 0 {
		b.WriteString("\nSkipped:")
		for i, p := range problems {
			if i == 5 {
				fmt.Fprintf(&b, "\n…and %d more.", len(problems)-5)
				break
			}
			b.WriteString("\n• " + p)
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

// removeIngestTemps deletes the temporary files an /ingest killed mid-write
// left in the ingest folder. It runs when the router is built, before any
// /ingest of this process can have started one.
func removeIngestTemps(corpusDir string, log *slog.Logger) {
	if corpusDir == "" {
		return
	}
	dir := filepath.Join(corpusDir, ingestDir)
	names, _ := filepath.Glob(filepath.Join(dir, ".ingest-*.tmp"))
	for _, n := range names {
		if err := os.Remove(n); err == nil {
			log.Info("removed a temporary file left by an interrupted /ingest", "file", n)
		}
	}
}
