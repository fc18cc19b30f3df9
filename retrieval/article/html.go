package article

import (
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"codeberg.org/readeck/go-readability/v2/render"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Limits that keep hostile or huge pages away from the tree parser and
// readability, whose costs grow faster than the input on deep trees. Pages
// over them are read by the linear fallback extractor instead.
const (
	maxHTMLElements = 30_000
	maxHTMLDepth    = 256
)

// parseHTML extracts the main text of a page with readability, keeping
// paragraphs, and reads the page's metadata. When readability finds nothing
// (or the page is over the limits above), the text of the <p> elements is
// used instead.
func parseHTML(name, text string) (item, error) {
	page := scanHTML(text)
	d := draft{
		id:     stripExt(name),
		path:   name,
		title:  firstNonEmpty(page.meta["og:title"], page.meta["twitter:title"]),
		source: firstNonEmpty(page.meta["og:site_name"], page.meta["application-name"]),
		url:    firstNonEmpty(page.canonical, page.meta["og:url"]),
		author: firstNonEmpty(personName(page.meta["author"]), personName(page.meta["article:author"])),
	}
	for _, key := range []string{"article:published_time", "og:published_time", "datepublished", "date", "pubdate", "publishdate", "dc.date.issued", "dc.date", "sailthru.date"} {
		if t, ok := parseDate(page.meta[key]); ok {
			d.published = t
			break
		}
	}

	if page.elements <= maxHTMLElements && page.maxDepth <= maxHTMLDepth {
		if art, ok := readable(text); ok {
			d.body = render.InnerText(art.Node)
			d.title = firstNonEmpty(d.title, art.Title())
			d.source = firstNonEmpty(d.source, art.SiteName())
			d.author = firstNonEmpty(d.author, personName(art.Byline()))
			if d.published.IsZero() {
				if t, err := art.PublishedTime(); err == nil && t.Year() > 0 && t.Year() < 10000 {
					d.published = t
				}
			}
		}
	}
	if strings.TrimSpace(d.body) == "" {
		d.body = page.paragraphs()
	}
	d.title = firstNonEmpty(d.title, page.title, page.h1)
	d.title = trimSiteName(oneLine(d.title), oneLine(d.source))
	a, err := d.finish()
	if err != nil {
		return item{}, err
	}
	return item{art: a}, nil
}

// readable runs readability on a page; ok is false when it fails or finds
// no content.
func readable(text string) (art readability.Article, ok bool) {
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		return art, false
	}
	p := readability.NewParser()
	p.MaxElemsToParse = maxHTMLElements
	art, err = p.ParseAndMutate(doc, nil)
	if err != nil || art.Node == nil {
		return art, false
	}
	return art, true
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// personName cleans an author value: "By Jane Doe" becomes "Jane Doe", and
// profile URLs (common in article:author) are ignored.
func personName(s string) string {
	s = oneLine(s)
	if strings.Contains(s, "://") {
		return ""
	}
	if len(s) > 3 && strings.EqualFold(s[:3], "by ") {
		s = strings.TrimSpace(s[3:])
	}
	return s
}

// trimSiteName removes a trailing " - Site" or " | Site" from a page title
// when Site is the outlet's name.
func trimSiteName(title, site string) string {
	if site == "" {
		return title
	}
	ft, fs := strings.ToLower(Fold(title)), strings.ToLower(Fold(site))
	if !strings.HasSuffix(ft, fs) {
		return title
	}
	head := strings.TrimRight(ft[:len(ft)-len(fs)], " ")
	for _, sep := range []string{" -", " |", " ::", " :", " \u00b7", " \u2022"} {
		if strings.HasSuffix(head, sep) {
			// Cut the original by the folded length only when folding kept
			// lengths equal; otherwise keep the title whole.
			if len(ft) != len(title) {
				return title
			}
			return strings.TrimSpace(title[:len(head)-len(sep)])
		}
	}
	return title
}

// page is what one linear pass of the HTML tokenizer learns about a page.
type page struct {
	meta      map[string]string // lower-cased meta name/property -> content (first wins)
	canonical string
	title     string
	h1        string
	elements  int
	maxDepth  int
	paras     []string // text of <p> elements, outside navigation and scripts
	blocks    []string // all visible text split at block elements
}

// paragraphs returns the fallback body: the <p> texts, or all visible text
// when the page has no paragraphs.
func (p *page) paragraphs() string {
	if len(p.paras) > 0 {
		return strings.Join(p.paras, "\n\n")
	}
	return strings.Join(p.blocks, "\n\n")
}

// skippedElements hold no article text.
var skippedElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Nav: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Form: true, atom.Svg: true, atom.Button: true, atom.Select: true,
	atom.Iframe: true, atom.Object: true, atom.Textarea: true, atom.Menu: true,
	atom.Figcaption: true,
}

var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true, atom.Param: true,
}

var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Li: true, atom.Ul: true, atom.Ol: true, atom.Blockquote: true, atom.Pre: true,
	atom.Table: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Body: true,
	atom.Dd: true, atom.Dt: true, atom.Dl: true, atom.Figure: true, atom.Br: true,
}

// impliedEnd lists elements whose end tag is optional: a new one closes
// the open one.
var impliedEnd = map[atom.Atom]bool{
	atom.P: true, atom.Li: true, atom.Dt: true, atom.Dd: true, atom.Tr: true,
	atom.Td: true, atom.Th: true, atom.Option: true,
}

// scanHTML tokenizes a page once, in linear time, for its metadata, its
// size and nesting depth, and a fallback text.
func scanHTML(text string) *page {
	p := &page{meta: map[string]string{}}
	z := html.NewTokenizer(strings.NewReader(text))
	var stack []atom.Atom // open elements, approximately
	skip := 0             // open elements in skippedElements
	popTo := func(i int) {
		for _, a := range stack[i:] {
			if skippedElements[a] {
				skip--
			}
		}
		stack = stack[:i]
	}
	// find returns the index of a among the last few open elements, or -1.
	find := func(a atom.Atom) int {
		for i := len(stack) - 1; i >= 0 && i >= len(stack)-8; i-- {
			if stack[i] == a {
				return i
			}
		}
		return -1
	}
	var inTitle, inH1, inP bool
	var para, block, title, h1 strings.Builder
	flush := func(b *strings.Builder, out *[]string) {
		if s := oneLine(b.String()); s != "" {
			*out = append(*out, s)
		}
		b.Reset()
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if inP {
				flush(&para, &p.paras)
			}
			flush(&block, &p.blocks)
			p.title = oneLine(title.String())
			p.h1 = oneLine(h1.String())
			return p
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			p.elements++
			if a == atom.Meta || a == atom.Link {
				if hasAttr {
					p.readMetaOrLink(a, z)
				}
				continue
			}
			if impliedEnd[a] {
				if i := find(a); i >= 0 {
					popTo(i)
				}
			}
			if tt == html.StartTagToken && !voidElements[a] {
				stack = append(stack, a)
				p.maxDepth = max(p.maxDepth, len(stack))
				if skippedElements[a] {
					skip++
				}
			}
			switch {
			case a == atom.Title:
				inTitle = true
			case a == atom.H1 && p.h1 == "" && h1.Len() == 0:
				inH1 = true
			}
			if blockElements[a] {
				if a == atom.Br {
					para.WriteByte(' ')
				} else if inP {
					flush(&para, &p.paras)
					inP = false
				}
				flush(&block, &p.blocks)
			}
			if a == atom.P && skip == 0 {
				inP = true
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if voidElements[a] {
				continue
			}
			if i := find(a); i >= 0 {
				popTo(i)
			}
			switch a {
			case atom.Title:
				inTitle = false
			case atom.H1:
				inH1 = false
			case atom.P:
				if inP {
					flush(&para, &p.paras)
					inP = false
				}
			}
			if blockElements[a] {
				flush(&block, &p.blocks)
			}
		case html.TextToken:
			switch {
			case inTitle:
				if title.Len() < 1000 {
					title.Write(z.Text())
				}
			case skip > 0:
			default:
				t := z.Text()
				if inH1 && h1.Len() < 1000 {
					h1.Write(t)
				}
				if inP {
					para.Write(t)
				}
				block.Write(t)
			}
		}
	}
}

// readMetaOrLink records <meta name|property=... content=...> and
// <link rel=canonical href=...>.
func (p *page) readMetaOrLink(a atom.Atom, z *html.Tokenizer) {
	var key, content, rel, href string
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "name", "property", "itemprop":
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(string(v)))
			}
		case "content":
			content = string(v)
		case "rel":
			rel = strings.ToLower(string(v))
		case "href":
			href = string(v)
		}
		if !more {
			break
		}
	}
	switch {
	case a == atom.Meta && key != "" && content != "":
		if _, seen := p.meta[key]; !seen {
			p.meta[key] = oneLine(content)
		}
	case a == atom.Link && rel == "canonical" && p.canonical == "":
		p.canonical = strings.TrimSpace(href)
	}
}
