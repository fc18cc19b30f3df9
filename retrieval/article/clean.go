package article

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// draft is an article as a format parser found it, before cleaning.
type draft struct {
	id, path                   string
	title, source, url, author string
	published                  time.Time
	// body is the raw body: lines separated by "\n", paragraphs by blank lines.
	body string
	// titleInBody says the title is the first body line that is not
	// boilerplate (plain text and Markdown without a front matter title).
	titleInBody bool
}

// line is one body line with what cleaning learned about it.
type line struct {
	raw    string // trimmed original text
	fold   string // Fold(raw), trimmed
	blank  bool
	strong bool // matches a boilerplate pattern wherever it appears
	drop   bool
}

// Cleaning limits. Lines longer than maxShortRunes are never considered
// navigation or footer chrome.
const (
	maxTitleRunes = 200
	maxShortRunes = 80
	maxShortWords = 8
	maxZoneLines  = 8
)

// finish cleans a draft into an Article: it finds the title and the outlet,
// removes boilerplate, and computes the hash.
func (d draft) finish() (Article, error) {
	lines := splitBody(d.body)
	var content []int // indices of non-blank lines
	for i := range lines {
		if !lines[i].blank {
			content = append(content, i)
			lines[i].strong = isBoilerplate(lines[i].raw, lines[i].fold)
		}
	}

	a := Article{
		ID:        d.id,
		Path:      d.path,
		Title:     oneLine(d.title),
		Source:    oneLine(d.source),
		URL:       strings.TrimSpace(d.url),
		Author:    oneLine(d.author),
		Published: d.published,
	}
	if a.Source == "" {
		a.Source = detectSource(lines, content)
	}

	// The title: the first line that is not boilerplate, unless it is a
	// paragraph rather than a headline.
	body := content
	for len(body) > 0 && lines[body[0]].strong {
		lines[body[0]].drop = true
		body = body[1:]
	}
	if len(body) > 0 {
		first := &lines[body[0]]
		switch {
		case d.titleInBody && a.Title == "":
			if looksLikeTitle(first.fold) {
				a.Title = oneLine(stripHeading(first.raw))
				first.drop = true
				body = body[1:]
			}
		case a.Title != "" && sameText(stripHeading(first.fold), Fold(a.Title)):
			// The headline repeated as the first body line.
			first.drop = true
			body = body[1:]
		}
	}

	// Chrome right under the title: bylines, share buttons, dates.
	cut := -1
	for k := 0; k < len(body) && k < maxZoneLines; k++ {
		l := &lines[body[k]]
		if name, ok := byline(l.fold); ok {
			if outletLike(name) {
				if a.Source == "" {
					a.Source = name
				}
			} else if a.Author == "" {
				a.Author = name
			}
			cut = k
			continue
		}
		if l.strong && isShort(l.fold) {
			cut = k
			continue
		}
		if t, ok := parseDate(l.fold); ok {
			if a.Published.IsZero() {
				a.Published = t
			}
			cut = k
			continue
		}
		if !isWeak(l.fold) {
			break
		}
	}
	for k := 0; k <= cut; k++ {
		lines[body[k]].drop = true
	}
	body = body[cut+1:]

	// A dateline opening the text ("Sep 11, 2021 - ...") is the publication
	// date, not content: left in, its year would match every question that
	// asks about that year.
	if len(body) > 0 {
		l := &lines[body[0]]
		if t, rest, ok := leadingDate(l.raw); ok {
			if a.Published.IsZero() {
				a.Published = t
			}
			l.raw, l.fold = rest, strings.TrimSpace(Fold(rest))
		}
	}

	// Chrome at the end: footers, share buttons, "By <outlet>" signatures,
	// and the short lines between them.
	cut = len(body)
	for k := len(body) - 1; k >= 0 && k >= len(body)-maxZoneLines; k-- {
		l := &lines[body[k]]
		if name, ok := signature(l.fold); ok {
			switch {
			case outletLike(name):
				if a.Source == "" {
					a.Source = name
				}
			case a.Author == "":
				a.Author = name
			}
			cut = k
			continue
		}
		if l.strong {
			cut = k
			continue
		}
		if !isWeak(l.fold) {
			break
		}
	}
	for k := cut; k < len(body); k++ {
		lines[body[k]].drop = true
	}

	for _, i := range content {
		if lines[i].strong {
			lines[i].drop = true
		}
	}
	a.Text = assemble(lines)
	if a.Text == "" {
		return Article{}, newFileError(ErrNoText, "no article text")
	}
	a.Hash = computeHash(a)
	return a, nil
}

// splitBody splits text into trimmed lines.
func splitBody(s string) []line {
	raw := strings.Split(s, "\n")
	lines := make([]line, len(raw))
	for i, r := range raw {
		r = strings.TrimSpace(r)
		f := strings.TrimSpace(Fold(r))
		lines[i] = line{raw: r, fold: f, blank: f == ""}
	}
	return lines
}

// assemble joins the kept lines: lines of one paragraph with "\n",
// paragraphs with "\n\n". Inline photo credits are removed here.
func assemble(lines []line) string {
	var b strings.Builder
	newPara := false
	for _, l := range lines {
		if l.blank {
			newPara = true
			continue
		}
		if l.drop {
			continue
		}
		text := removeCredits(l.raw)
		if text == "" {
			continue
		}
		if b.Len() > 0 {
			if newPara {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		newPara = false
		b.WriteString(text)
	}
	return b.String()
}

func sameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

var (
	headingRE      = lazyRegexp(`^#{1,6}\s+`)
	headingCloseRE = lazyRegexp(`\s+#+$`)
)

// stripHeading removes Markdown heading markers ("## Title ##").
func stripHeading(s string) string {
	if !strings.HasPrefix(s, "#") {
		return s
	}
	out := headingRE.ReplaceAllString(s, "")
	if out == s {
		return s
	}
	return strings.TrimSpace(headingCloseRE.ReplaceAllString(out, ""))
}

// looksLikeTitle reports whether a first line is a headline rather than
// the opening paragraph of an article without one: headlines are short and
// rarely end in a full stop.
func looksLikeTitle(s string) bool {
	if utf8.RuneCountInString(s) > maxTitleRunes {
		return false
	}
	return !strings.HasSuffix(s, ".") || strings.HasSuffix(s, "...") || wordCount(s) <= 12
}

// isShort reports whether a (folded) line is short enough to be a button,
// a menu entry or a footer line.
func isShort(s string) bool {
	return utf8.RuneCountInString(s) <= maxShortRunes && wordCount(s) <= maxShortWords
}

// isWeak reports whether a line looks like page chrome rather than prose:
// short, with no sentence punctuation at its end. Such lines are removed
// only next to lines that are certainly boilerplate, since lists, scores
// and names in real articles look the same.
func isWeak(s string) bool {
	if !isShort(s) {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return !strings.ContainsRune(`.!?;:"')`, r)
}

func wordCount(s string) int {
	return len(strings.Fields(s))
}

// Boilerplate patterns, matched against folded lines.
var (
	altAddressRE = lazyRegexp(`(?i)\b(?:can|may) also be accessed (?:at|via|through)\b.*\b(?:address|domain|url|link|mirror)|\balternat(?:e|ive) (?:web )?(?:addresses|domains|urls|links)\b`)
	appStrongRE  = lazyRegexp(`(?i)\bdownload (?:our|the) (?:free |mobile )?apps?\b|\bget it on (?:google play|the app store)\b|\bavailable on the app store\b|\bwatch (?:us |live )?on (?:roku|apple tv|fire tv)\b`)
	appWeakRE    = lazyRegexp(`(?i)\b(?:roku|apple tv|android tv|fire tv|google play|app store|play store)\b`)
	urlLineRE    = lazyRegexp(`(?i)^<?(?:https?://\S+|www\.\S+|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?:/\S*)?)>?$`)
	copyrightRE  = lazyRegexp(`(?i)^(?:©|\(c\)\s|copyright\s*(?:©|\(c\)|\d{4}))`)
	followRE     = lazyRegexp(`(?i)^follow (us|.{2,40}?) on (?:twitter|facebook|instagram|telegram|youtube|x|tiktok|linkedin)\b`)
	photoLineRE  = lazyRegexp(`(?i)^(?:file |archive )?(?:photo|image|picture|photograph|caption)s?(?: credit)?\s*[:|]\s`)
	// creditRE matches a photo credit in parentheses: "(Photo by AP)",
	// "(Photo: Reuters)", "(File photo)", "(AP Photo/John Doe)", "(AFP/Getty Images)".
	creditRE = lazyRegexp(`(?i)\s*` + creditPattern)
)

const creditPattern = `\((?:` +
	`(?:file |archive )?(?:photo|image|picture|photograph)s?(?: credit)?(?:\s+by\s|\s*:\s*|\s+via\s|\s+courtesy\s)[^()\n]{1,80}` +
	`|(?:file |archive )?(?:photo|image|picture|photograph)s?` +
	`|[^()\n]{0,40}\bphoto(?:/[^()\n]{1,40})?` +
	`|[^()\n]{0,40}\b(?:getty images|shutterstock)` +
	`)\)`

// isBoilerplate reports whether a line is page chrome wherever it appears:
// share buttons, mirror-site footers, app-store lines, breadcrumbs, photo
// credit lines ("Photo: AFP"), bare addresses, copyright notices, "follow
// us". A photo caption is not chrome: it says who or what is pictured, often
// with names and dates found nowhere else, so it is kept and only its credit
// ("(Photo by AP)") is removed, in assemble.
// Cheap substring checks guard the regular expressions: this runs on every
// line of the corpus.
func isBoilerplate(raw, fold string) bool {
	if len(fold) > 300 {
		return false
	}
	lower := strings.ToLower(fold)
	words := wordCount(fold)
	short := isShort(fold)
	has := func(subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(lower, sub) {
				return true
			}
		}
		return false
	}
	switch {
	case short && isShareLine(lower):
		return true
	case short && isBreadcrumb(raw):
		return true
	case short && !strings.Contains(fold, " ") && strings.Contains(fold, ".") && urlLineRE.MatchString(fold):
		return true
	case words <= 20 && has("accessed", "alternat") && altAddressRE.MatchString(fold):
		return true
	case words <= 12 && has("download", "get it on", "available on", "watch") && appStrongRE.MatchString(fold):
		return true
	case has("roku", " tv", "google play", "app store", "play store") && isWeak(fold) && appWeakRE.MatchString(fold):
		return true
	case words <= 20 && has("©", "(c)", "copyright") && copyrightRE.MatchString(fold):
		return true
	case words <= 12 && strings.HasPrefix(lower, "follow ") && followRE.MatchString(fold):
		return true
	case words <= 30 && has("photo", "image", "picture", "caption") && photoLineRE.MatchString(fold):
		return true
	}
	return false
}

// creditWords are the words one of which every photo credit contains.
var creditWords = []string{"photo", "Photo", "PHOTO", "image", "Image", "IMAGE", "picture", "Picture", "PICTURE", "Getty", "GETTY", "hutterstock", "HUTTERSTOCK"}

// mayHaveCredit is a cheap test that s could contain a photo credit.
func mayHaveCredit(s string) bool {
	if !strings.Contains(s, "(") {
		return false
	}
	for _, w := range creditWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// shareWords are the words share-button rows are made of; shareTriggers are
// the ones at least one of which must appear.
var (
	shareWords = map[string]bool{
		"share": true, "this": true, "article": true, "story": true, "page": true, "post": true,
		"on": true, "via": true, "the": true, "it": true, "to": true, "with": true, "a": true,
		"friend": true, "friends": true, "link": true, "copy": true, "x": true, "pin": true,
		"save": true, "comment": true, "comments": true, "print": true, "email": true, "e": true,
		"mail": true, "tweet": true, "facebook": true, "twitter": true, "whatsapp": true,
		"telegram": true, "linkedin": true, "reddit": true, "pinterest": true, "messenger": true,
		"flipboard": true, "vk": true, "sms": true, "send": true, "or": true, "and": true,
	}
	shareTriggers = map[string]bool{
		"share": true, "tweet": true, "facebook": true, "twitter": true, "whatsapp": true,
		"telegram": true, "linkedin": true, "reddit": true, "pinterest": true, "email": true,
		"print": true, "messenger": true, "flipboard": true,
	}
)

// isShareLine reports whether a line is a row of share buttons
// ("SHARE THIS ARTICLE", "Share", "Tweet", "Facebook Twitter Email").
func isShareLine(s string) bool {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r)
	})
	if len(words) == 0 {
		return false
	}
	trigger := false
	for _, w := range words {
		if !shareWords[w] {
			return false
		}
		trigger = trigger || shareTriggers[w]
	}
	return trigger
}

// isBreadcrumb reports whether a line (not folded: Fold turns » into a
// quote) is a navigation trail such as
// "News / Defense" or "Home » World » Middle East": two to six segments of
// a few capitalised words separated by /, », >, › or |.
func isBreadcrumb(s string) bool {
	if !strings.ContainsAny(s, "/»>›|→") {
		return false
	}
	segs := strings.FieldsFunc(s, func(r rune) bool {
		return r == '/' || r == '»' || r == '>' || r == '›' || r == '|' || r == '→'
	})
	if len(segs) < 2 || len(segs) > 6 {
		return false
	}
	// Separators must stand apart from words: "AC/DC" is not a trail.
	prev := rune(0)
	for i, r := range s {
		if strings.ContainsRune("/»>›|→", r) {
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if !unicode.IsSpace(prev) || !unicode.IsSpace(next) {
				return false
			}
		}
		prev = r
	}
	for _, seg := range segs {
		words := strings.Fields(seg)
		if len(words) == 0 || len(words) > 4 {
			return false
		}
		for _, w := range words {
			r, _ := utf8.DecodeRuneInString(w)
			if !unicode.IsUpper(r) && !unicode.IsDigit(r) && w != "&" && w != "and" && w != "of" {
				return false
			}
		}
		last, _ := utf8.DecodeLastRuneInString(seg)
		if strings.ContainsRune(".!?,;:", last) {
			return false
		}
	}
	return true
}

// removeCredits removes photo credits in parentheses from a kept line.
func removeCredits(s string) string {
	if !mayHaveCredit(s) {
		return s
	}
	out := creditRE.ReplaceAllString(s, "")
	if out == s {
		return s
	}
	return strings.TrimSpace(out)
}

// Outlet detection patterns, matched against folded lines.
var (
	// datelineRE: "TEHRAN (Tasnim) - ...", "LONDON (Reuters) -", "(AP) -".
	// The place is one to four capitalised words, optionally followed by a
	// region or date after a comma.
	datelineRE = lazyRegexp(`^(?:(\p{Lu}[\p{L}.'-]*(?:\s+\p{Lu}[\p{L}.'-]*){0,3})(?:,\s*[\p{L}\p{N}.' ]{1,30}?)?\s*)?\((\p{Lu}[\p{L}\p{N} .&'-]{0,38}?)\)\s*(?:-+|:)\s`)
	// signatureRE: "By Tasnim News Agency", "Source: Reuters".
	signatureRE = lazyRegexp(`^(?i:by|source|via)\s*:?\s+(\p{Lu}[\p{L}\p{N}.&'-]*(?:\s+(?:\p{Lu}[\p{L}\p{N}.&'-]*|of|the|and|for|de|al|&)){0,7})$`)
	// bylineRE: "By John Smith", "By John Smith, Press TV".
	bylineRE = lazyRegexp(`^(?i:by)\s+(\p{Lu}[\p{L}.'-]*(?:\s+(?:\p{Lu}[\p{L}.'-]*|de|van|von|al|bin)){0,5})(?:,\s+(\p{Lu}[\p{L}\p{N}.&'-]*(?:\s+\p{Lu}[\p{L}\p{N}.&'-]*){0,5}))?$`)
	// footerRE: "Press TV's website can also be accessed at ...".
	footerRE = lazyRegexp(`(?i)^(.{2,40}?)'s? (?:web ?site|site|content|articles?) (?:can|may) also be (?:accessed|found|read)`)
	// copyrightNameRE takes the holder out of a copyright line.
	copyrightNameRE = lazyRegexp(`(?i)^(?:©|\(c\)|copyright)\s*(?:©|\(c\))?\s*(?:\d{4}(?:\s*-\s*\d{4})?)?\s*,?\s*([^.,|]{2,50}?)\s*(?:[.,|].*)?$`)
)

// knownOutlets maps short outlet names used in datelines to full names.
var knownOutlets = map[string]string{
	"tasnim":  "Tasnim News Agency",
	"fars":    "Fars News Agency",
	"mehr":    "Mehr News Agency",
	"presstv": "Press TV",
}

// outletWords mark a name as an outlet rather than a person.
var outletWords = map[string]bool{
	"news": true, "agency": true, "tv": true, "press": true, "times": true, "post": true,
	"herald": true, "journal": true, "tribune": true, "network": true, "media": true,
	"radio": true, "daily": true, "reuters": true, "ap": true, "afp": true, "xinhua": true,
	"gazette": true, "telegraph": true, "guardian": true, "jazeera": true, "channel": true,
	"broadcasting": true, "bbc": true, "cnn": true, "sputnik": true, "tass": true, "irna": true,
	"observer": true, "independent": true, "chronicle": true, "wire": true, "magazine": true,
	"monitor": true, "newspaper": true, "staff": true, "desk": true, "bureau": true,
}

func outletLike(name string) bool {
	for _, w := range strings.Fields(strings.ToLower(name)) {
		if outletWords[strings.Trim(w, ".")] {
			return true
		}
	}
	return false
}

// canonicalOutlet maps a short outlet name to its full name where one is
// known, and otherwise returns it as written.
func canonicalOutlet(name string) string {
	name = oneLine(name)
	key := strings.ToLower(strings.ReplaceAll(name, " ", ""))
	if full, ok := knownOutlets[key]; ok {
		return full
	}
	return name
}

// signature reads a "By <Name>" or "Source: <Name>" line.
func signature(fold string) (string, bool) {
	if !isShort(fold) {
		return "", false
	}
	m := signatureRE.FindStringSubmatch(fold)
	if m == nil {
		return "", false
	}
	return canonicalOutlet(m[1]), true
}

// byline reads a "By <Name>" line under the title. With "By Name, Outlet"
// the outlet is dropped here (it is picked up by detectSource).
func byline(fold string) (string, bool) {
	if !isShort(fold) {
		return "", false
	}
	if m := bylineRE.FindStringSubmatch(fold); m != nil {
		return oneLine(m[1]), true
	}
	if name, ok := signature(fold); ok && outletLike(name) {
		return name, true
	}
	return "", false
}

// detectSource finds the outlet in the body before boilerplate is removed:
// a "By <outlet>" signature at the end, then a footer naming the outlet
// ("Press TV's website can also be accessed at ...", "© 2017 Press TV",
// "Follow Press TV on Twitter"), then a dateline ("TEHRAN (Tasnim) - ").
func detectSource(lines []line, content []int) string {
	n := len(content)
	for k := n - 1; k >= 0 && k >= n-3; k-- {
		if name, ok := signature(lines[content[k]].fold); ok && outletLike(name) {
			return name
		}
	}
	for k := n - 1; k >= 0 && k >= n-12; k-- {
		f := lines[content[k]].fold
		if len(f) > 300 {
			continue
		}
		lower := strings.ToLower(f)
		if strings.Contains(lower, "also be") {
			if m := footerRE.FindStringSubmatch(f); m != nil {
				return canonicalOutlet(m[1])
			}
		}
		if strings.HasPrefix(lower, "follow ") {
			if m := followRE.FindStringSubmatch(f); m != nil && !strings.EqualFold(m[1], "us") {
				return canonicalOutlet(m[1])
			}
		}
		if (strings.HasPrefix(lower, "©") || strings.HasPrefix(lower, "(c)") || strings.HasPrefix(lower, "copyright")) &&
			wordCount(f) <= 20 && copyrightRE.MatchString(f) {
			if m := copyrightNameRE.FindStringSubmatch(f); m != nil && !strings.EqualFold(m[1], "all rights reserved") {
				return canonicalOutlet(m[1])
			}
		}
	}
	for k := 0; k < n && k < 4; k++ {
		f := lines[content[k]].fold
		if !strings.Contains(f, "(") {
			continue
		}
		// A parenthesised name after a place is an outlet when the place is
		// in capitals ("TEHRAN (Tasnim) - ") or the name is a known or
		// outlet-like one; "Monetary Policy Committee (MPC) - " is not.
		if m := datelineRE.FindStringSubmatch(f); m != nil {
			place, name := m[1], canonicalOutlet(m[2])
			_, known := knownOutlets[strings.ToLower(strings.ReplaceAll(m[2], " ", ""))]
			if known || outletLike(name) || (place != "" && strings.ToUpper(place) == place) {
				return name
			}
		}
	}
	return ""
}
