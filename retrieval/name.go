package retrieval

import (
	"mime"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/article"
)

// This file is the one place corpus files are named: FileName for a name
// from outside (an attachment's), PageName for a downloaded page.

// maxFileStem bounds the length of a saved file's name before its
// extension, in bytes.
const maxFileStem = 80

// FileName turns a name from outside (an attachment's file name, a page's
// suggested name) into a plain file name: no folders, no "..", no control
// or invisible characters, no leading dot, letters, digits, '-', '_' and
// '.' only, at most 80 bytes before the extension, and a supported
// extension in lower case (".txt" when it had none).
func FileName(name string) string {
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
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u034f': // shows nothing
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
	s = strings.Trim(cutStem(s), "._- ")
	if s == "" {
		s = "article"
	}
	return s + ext
}

// cutStem cuts s to maxFileStem bytes on a rune boundary.
func cutStem(s string) string {
	if len(s) <= maxFileStem {
		return s
	}
	cut := maxFileStem
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// PageName suggests a file name for a downloaded page from its final
// address and Content-Type: the last path segment (or the host name for a
// bare site address) reduced to lower-case letters, digits, '-' and '_',
// with the extension chosen by the media type. The result is a FileName:
// never a path separator, never a leading dot, never empty.
func PageName(pageURL, contentType string) string {
	u, err := url.Parse(pageURL)
	if err != nil {
		u = &url.URL{}
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	return suggestName(u, mediaType)
}

// suggestName is PageName for a parsed address and media type.
func suggestName(u *url.URL, mediaType string) string {
	ext := extensionFor(mediaType)
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")

	stem := ""
	if seg := lastSegment(u.EscapedPath()); seg != "" {
		if e := path.Ext(seg); knownPageExt(e) {
			seg = strings.TrimSuffix(seg, e)
		}
		stem = slug(seg)
		if stem != "" && isDigits(stem) {
			// "/story/123456" says little on its own.
			stem = slug(host + "-" + stem)
		}
	}
	if stem == "" {
		stem = slug(host)
	}
	if stem == "" {
		stem = "page"
	}
	if reservedName(stem) {
		stem += "-page"
	}
	return stem + ext
}

// extensionFor maps a page's media type to a file extension.
func extensionFor(mediaType string) string {
	switch mediaType {
	case "text/html", "application/xhtml+xml":
		return ".html"
	case "text/markdown", "text/x-markdown":
		return ".md"
	case "application/json", "application/x-ndjson":
		return ".json"
	}
	return ".txt"
}

// lastSegment returns the last non-empty segment of an escaped URL path,
// unescaped; an undecodable segment is used as it is.
func lastSegment(escapedPath string) string {
	segs := strings.Split(escapedPath, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i] == "" {
			continue
		}
		if s, err := url.PathUnescape(segs[i]); err == nil {
			return s
		}
		return segs[i]
	}
	return ""
}

// knownPageExt reports whether ext (with its dot) is a web page extension
// that the suggested name replaces.
func knownPageExt(ext string) bool {
	switch strings.ToLower(ext) {
	case ".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp", ".cgi",
		".txt", ".md", ".markdown", ".json", ".ndjson":
		return true
	}
	return false
}

// slug lower-cases s, keeps letters, digits and '_', turns every other
// run of characters into one '-', trims leading and trailing '-' and '_', and
// cuts the result to maxFileStem bytes on a rune boundary.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			dash = true
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
		if b.Len() >= maxFileStem {
			break
		}
	}
	return strings.Trim(cutStem(b.String()), "-_")
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// reservedName reports whether stem is a device name that Windows refuses as
// a file name.
func reservedName(stem string) bool {
	switch stem {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "com") || strings.HasPrefix(stem, "lpt")) {
		return stem[3] >= '1' && stem[3] <= '9'
	}
	return false
}
