package article

import (
	"strconv"
	"strings"
)

// parseText reads a plain text or Markdown article: an optional front
// matter block, then the title on the first line that is not boilerplate,
// then the body.
func parseText(name, text string, markdown bool) (item, error) {
	d := draft{id: stripExt(name), path: name, titleInBody: true}
	body := text
	if fm, rest, ok := frontMatter(text); ok {
		body = rest
		d.title = fm["title"]
		d.source = firstOf(fm, "source", "outlet", "site", "publisher")
		d.url = firstOf(fm, "url", "link", "canonical")
		d.author = firstOf(fm, "author", "byline", "by")
		if t, ok := parseDate(firstOf(fm, "published", "date", "published_at", "publishedat", "pubdate")); ok {
			d.published = t
		}
	}
	if markdown {
		body = markdownToText(body)
	}
	d.body = body
	a, err := d.finish()
	if err != nil {
		return item{}, err
	}
	return item{art: a}, nil
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

// maxFrontMatterLines bounds the search for the closing "---".
const maxFrontMatterLines = 100

// frontMatter reads a YAML-style block at the start of text:
//
//	---
//	title: "Iran’s missile might..."
//	source: Press TV
//	---
//
// Only flat "key: value" lines are read (keys lower-cased, values unquoted);
// anything else in the block is ignored. ok is false when text does not
// start with such a block, and then text is left as it is.
func frontMatter(text string) (fields map[string]string, rest string, ok bool) {
	s := strings.TrimLeft(text, " \t\n")
	first, s, found := strings.Cut(s, "\n")
	if !found || strings.TrimSpace(first) != "---" {
		return nil, text, false
	}
	fields = map[string]string{}
	for n := 0; n < maxFrontMatterLines; n++ {
		var l string
		l, s, found = strings.Cut(s, "\n")
		t := strings.TrimSpace(l)
		if t == "---" || t == "..." {
			return fields, s, true
		}
		if !found {
			break
		}
		key, value, hasColon := strings.Cut(t, ":")
		if !hasColon || strings.HasPrefix(t, "#") {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if key == "" || strings.ContainsAny(key, " \t") {
			continue
		}
		fields[key] = unquote(strings.TrimSpace(value))
	}
	return nil, text, false
}

// unquote removes YAML-style quotes from a value.
func unquote(v string) string {
	if len(v) >= 2 {
		switch {
		case v[0] == '"' && v[len(v)-1] == '"':
			if u, err := strconv.Unquote(v); err == nil {
				// An escape may spell bytes that are no UTF-8 ("\200").
				return strings.ToValidUTF8(u, "\uFFFD")
			}
			return v[1 : len(v)-1]
		case v[0] == '\'' && v[len(v)-1] == '\'':
			return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		}
	}
	return v
}

var (
	mdImageRE    = lazyRegexp(`!\[[^\]\n]*\]\([^)\n]*\)`)
	mdLinkRE     = lazyRegexp(`\[([^\]\n]+)\]\([^)\n]*\)`)
	mdEmphasisRE = lazyRegexp(`\*\*|__`)
	mdRuleRE     = lazyRegexp(`^\s*(?:[-*_]\s*){3,}$`)
)

// markdownToText reduces Markdown to plain lines: heading markers, images,
// link targets, bold markers and horizontal rules are removed; list markers
// and quotes are kept as written.
func markdownToText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if mdRuleRE.MatchString(l) {
			lines[i] = ""
			continue
		}
		l = stripHeading(strings.TrimSpace(l))
		if strings.Contains(l, "](") {
			l = mdImageRE.ReplaceAllString(l, "")
			l = mdLinkRE.ReplaceAllString(l, "$1")
		}
		if strings.Contains(l, "**") || strings.Contains(l, "__") {
			l = mdEmphasisRE.ReplaceAllString(l, "")
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}
