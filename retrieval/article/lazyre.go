package article

import (
	"regexp"
	"sync"
)

// lazyRE is a regular expression compiled on its first use. The package's
// patterns (several with Unicode classes) took ~4 ms to compile when any
// program linking the package started — every bot command, most of which
// never load an article.
type lazyRE struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

// lazyRegexp is regexp.MustCompile, deferred to the first use.
func lazyRegexp(pattern string) *lazyRE { return &lazyRE{pattern: pattern} }

func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })
	return l.re
}

// MatchString is regexp.Regexp.MatchString.
func (l *lazyRE) MatchString(s string) bool { return l.get().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (l *lazyRE) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (l *lazyRE) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
