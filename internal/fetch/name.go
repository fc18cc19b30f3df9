package fetch

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameStem bounds the length in bytes of a suggested name before its
// extension.
const maxNameStem = 80

// suggestName derives a safe file name for a page from its final URL and
// media type: the last path segment (or the host name for a bare site
// address) reduced to lower-case letters, digits, '-' and '_', with the
// extension chosen by the media type. The result never contains a path
// separator, never starts with a dot and is never empty.
func suggestName(u *url.URL, mediaType string) string {
	ext := extensionFor(mediaType)
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")

	stem := ""
	if seg := lastSegment(u.EscapedPath()); seg != "" {
		if e := path.Ext(seg); knownPageExt(e) {
			seg = strings.TrimSuffix(seg, e)
		}
		stem = sanitize(seg)
		if stem != "" && isDigits(stem) {
			// "/story/123456" says little on its own.
			stem = sanitize(host + "-" + stem)
		}
	}
	if stem == "" {
		stem = sanitize(host)
	}
	if stem == "" {
		stem = "page"
	}
	if reservedName(stem) {
		stem += "-page"
	}
	return stem + ext
}

// extensionFor maps an accepted media type to a file extension.
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

// sanitize lower-cases s, keeps letters, digits and '_', turns every other
// run of characters into one '-', trims leading and trailing '-' and '_', and
// cuts the result to maxNameStem bytes on a rune boundary.
func sanitize(s string) string {
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
		if b.Len() >= maxNameStem {
			break
		}
	}
	out := b.String()
	if len(out) > maxNameStem {
		cut := maxNameStem
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut]
	}
	return strings.Trim(out, "-_")
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	return s != "" && allIn(s, "0123456789")
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
