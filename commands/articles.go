package commands

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/newsbot/newsbot/commands/seam"
)

const (
	articlesPerPage = 10
	// maxArticleSearch keeps the search within a button's custom ID
	// (100 characters, "articles:PAGE:" included).
	maxArticleSearch = 80
)

func (r *Router) articlesCommand() *command {
	return &command{
		def: &discordgo.ApplicationCommand{
			Name:        "articles",
			Description: "List the indexed articles, newest first",
			Options: append([]*discordgo.ApplicationCommandOption{{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "search",
				Description: "Only articles whose title or outlet contains these words",
				MaxLength:   maxArticleSearch,
			}}, filterOptions("articles")...),
		},
		handle:    r.handleArticles,
		component: r.handleArticlesPage,
	}
}

// handleArticles answers /articles with the first page, privately.
func (r *Router) handleArticles(ctx context.Context, x *exchange) error {
	search := ""
	if s := optString(x.i, "search"); strings.TrimSpace(s) != "" {
		var err error
		if search, err = SanitizeQuestion(s); err != nil {
			return err
		}
		if width(search) > maxArticleSearch {
			return userErrorf("Please keep the search under %d characters.", maxArticleSearch)
		}
	}
	f, err := r.filterOf(x.i)
	if err != nil {
		return err
	}
	// The page buttons carry the search and the filter in their custom
	// IDs, which Discord caps at 100 characters.
	all := r.cfg.Catalogue.Articles()
	if last := pageID(len(all)/articlesPerPage+1, search, f); width(last) > maxCustomID {
		return userErrorf("With an outlet or dates, please keep the search under %d characters.",
			max(width(search)-(width(last)-maxCustomID), 1))
	}
	if err := x.deferReply(ctx, true); err != nil {
		return err
	}
	return x.edit(ctx, renderArticles(all, search, f, 0))
}

// maxCustomID is Discord's limit on a component's custom ID.
const maxCustomID = 100

// handleArticlesPage turns the page: the custom ID is
// "articles:PAGE:SEARCH", with the filter after PAGE (see encodeFilter).
func (r *Router) handleArticlesPage(ctx context.Context, x *exchange, args []string) error {
	if len(args) < 2 {
		return userErrorf("That button no longer works; run /articles again.")
	}
	pageArg, filter, _ := strings.Cut(args[0], "~")
	page, err := strconv.Atoi(pageArg)
	if err != nil || page < 0 {
		return userErrorf("That button no longer works; run /articles again.")
	}
	f, ok := decodeFilter(filter, r.cfg.Catalogue.Stats().Sources)
	if !ok {
		return userErrorf("That outlet is no longer indexed; run /articles again.")
	}
	search := strings.Join(args[1:], ":")
	if err := x.deferUpdate(ctx); err != nil {
		return err
	}
	return x.edit(ctx, renderArticles(r.cfg.Catalogue.Articles(), search, f, page))
}

// renderArticles shows one page of the articles matching search (all when
// empty) that f keeps, newest first, with Previous and Next buttons. A
// page past the end shows the last one.
func renderArticles(all []seam.Article, search string, f seam.Filter, page int) message {
	arts := filterArticles(all, search)
	if !f.IsZero() {
		arts = slices.DeleteFunc(arts, func(a seam.Article) bool { return !keeps(f, a.Source, a.Published) })
	}
	among := ""
	if !f.IsZero() {
		among = " (" + describeFilter(f) + ")"
	}
	if len(arts) == 0 {
		if search == "" {
			if among != "" {
				return message{Content: "No indexed article" + among + ".", Ephemeral: true}
			}
			return message{Content: "No article is indexed yet.", Ephemeral: true}
		}
		return message{Content: fmt.Sprintf("No indexed article%s matches “%s”.", among, neutralise(search)), Ephemeral: true}
	}
	pages := (len(arts) + articlesPerPage - 1) / articlesPerPage
	page = min(max(page, 0), pages-1)
	lines := articleLines(arts[page*articlesPerPage:min(len(arts), (page+1)*articlesPerPage)], page*articlesPerPage+1)
	title := "Indexed articles" + among
	if search != "" {
		title = truncateTitle(fmt.Sprintf("Indexed articles%s matching “%s”", among, neutralise(search)))
	}
	noun := "articles"
	if len(arts) == 1 {
		noun = "article"
	}
	e := &discordgo.MessageEmbed{
		Title:       title,
		Description: strings.Join(lines, "\n"),
		Color:       embedColor,
		Footer:      &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Page %d of %d · %d %s", page+1, pages, len(arts), noun)},
	}
	m := message{Embeds: []*discordgo.MessageEmbed{e}, Ephemeral: true}
	if pages > 1 {
		m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Previous", Style: discordgo.SecondaryButton, CustomID: pageID(page-1, search, f), Disabled: page == 0},
			discordgo.Button{Label: "Next", Style: discordgo.SecondaryButton, CustomID: pageID(page+1, search, f), Disabled: page == pages-1},
		}}}
	}
	return m
}

// articleStyles are the ways an entry of /articles is shown, fullest
// first: a long linked title, a shorter one, then without its link.
var articleStyles = []struct {
	title  int
	linked bool
}{{200, true}, {100, true}, {100, false}, {60, false}}

// articleLines renders one page's entries, numbered from first, within
// the embed description's budget: while they don't fit, the longest entry
// is shown one style plainer. Ten long titles with long URLs (up to 512
// characters each) would pass Discord's 4,096 characters; the plainest
// entries (at most 60 characters of title and of outlet, escaped) always
// fit.
func articleLines(arts []seam.Article, first int) []string {
	style := make([]int, len(arts))
	render := func(k int) string {
		a, st := arts[k], articleStyles[style[k]]
		title := clip(orUntitled(a.Title), st.title)
		entry := link(title, "")
		if st.linked {
			entry = link(title, a.URL)
		}
		line := fmt.Sprintf("**%d.** %s", first+k, entry)
		if meta := joinNonEmpty(", ", neutralise(clip(oneLine(a.Source), 60)), date(a.Published)); meta != "" {
			line += " — " + meta
		}
		return line
	}
	lines := make([]string, len(arts))
	for k := range arts {
		lines[k] = render(k)
	}
	for width(strings.Join(lines, "\n")) > descriptionBudget {
		longest := -1
		for k, l := range lines {
			if style[k] < len(articleStyles)-1 && (longest < 0 || width(l) > width(lines[longest])) {
				longest = k
			}
		}
		if longest < 0 {
			break
		}
		style[longest]++
		lines[longest] = render(longest)
	}
	return lines
}

// pageID is the custom ID of a button showing page of a search, filtered
// by f. Disabled buttons still need a distinct ID.
func pageID(page int, search string, f seam.Filter) string {
	if page < 0 {
		page = 0
	}
	return "articles:" + strconv.Itoa(page) + encodeFilter(f) + ":" + search
}

// filterArticles keeps the articles whose title, outlet or ID contains
// every word of search (case-insensitive), newest first.
func filterArticles(all []seam.Article, search string) []seam.Article {
	words := strings.Fields(strings.ToLower(search))
	var out []seam.Article
	for _, a := range all {
		hay := strings.ToLower(a.Title + " " + a.Source + " " + a.ID)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Published.Equal(out[j].Published) {
			return out[i].Published.After(out[j].Published)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
