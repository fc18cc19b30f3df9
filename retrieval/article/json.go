package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseJSON reads a .json file: one article object or an array of them.
// Array items that are not usable articles are returned as Problems. An
// array of more than maxArticles items is refused before any is parsed.
func parseJSON(name, text string, maxArticles int) ([]item, []Problem, error) {
	data := []byte(text)
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, nil, invalidJSON(data, err)
	}
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '{':
		it, err := objectItem(name, raw, 0, 0)
		if err != nil {
			return nil, nil, err
		}
		return []item{it}, nil, nil
	case '[':
		if n := countItems(raw); n > maxArticles {
			return nil, nil, tooManyArticles(n, maxArticles)
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, nil, invalidJSON(raw, err)
		}
		var items []item
		var problems []Problem
		for i, e := range elems {
			it, err := objectItem(name, e, i, 0)
			if err != nil {
				problems = append(problems, Problem{Path: name, Reason: fmt.Sprintf("item %d: %v", i, err)})
				continue
			}
			items = append(items, it)
		}
		if len(items) == 0 && len(problems) == 0 {
			return nil, nil, newFileError(ErrNoText, "no articles (empty JSON array)")
		}
		return items, problems, nil
	default:
		return nil, nil, newFileError(ErrInvalidJSON, "invalid JSON: expected an article object or an array of them")
	}
}

// parseJSONL reads a .jsonl file: one article object per line. Blank lines
// are ignored; a bad line is a Problem and the rest still load. A file of
// more than maxArticles records is refused before any is parsed.
func parseJSONL(name, text string, maxArticles int) ([]item, []Problem, error) {
	if n := countRecords(text); n > maxArticles {
		return nil, nil, tooManyArticles(n, maxArticles)
	}
	var items []item
	var problems []Problem
	lineNo := 0
	for rest := text; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		lineNo++
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		it, err := objectItem(name, []byte(l), lineNo, lineNo)
		if err != nil {
			problems = append(problems, Problem{Path: name, Line: lineNo, Reason: err.Error()})
			continue
		}
		items = append(items, it)
	}
	return items, problems, nil
}

// invalidJSON describes a syntax error with its line number.
func invalidJSON(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) && syn.Offset > 0 && syn.Offset <= int64(len(data)) {
		line := 1 + bytes.Count(data[:syn.Offset], []byte("\n"))
		return &fileError{kind: ErrInvalidJSON, msg: fmt.Sprintf("invalid JSON at line %d: %v", line, err), line: line}
	}
	return newFileError(ErrInvalidJSON, fmt.Sprintf("invalid JSON: %v", err))
}

// objectItem turns one JSON object into an article. n numbers the object
// for the default ID; line is its JSON Lines line (0 for .json files).
func objectItem(name string, raw []byte, n, line int) (item, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return item{}, newFileError(ErrInvalidJSON, "not a JSON object")
		}
		return item{}, invalidJSON(raw, err)
	}
	fields := make(map[string]json.RawMessage, len(obj))
	for k, v := range obj {
		fields[strings.ToLower(k)] = v
	}
	text := jsonText(fields, "text", "body", "content")
	if strings.TrimSpace(text) == "" {
		return item{}, newFileError(ErrNoText, `no text (expected a "text", "body" or "content" field)`)
	}
	if looksLikeHTML(text) {
		text = scanHTML(text).paragraphs()
	}
	id := oneLine(jsonText(fields, "id"))
	if id == "" {
		id = fmt.Sprintf("%s/%d", stripExt(name), n)
	}
	d := draft{
		id:     id,
		path:   name,
		title:  jsonText(fields, "title", "headline"),
		source: jsonText(fields, "source", "outlet", "site", "publisher"),
		url:    jsonText(fields, "url", "link"),
		author: jsonText(fields, "author", "byline", "authors"),
		body:   text,
	}
	d.published = jsonTime(fields, "published", "published_at", "publishedat", "date", "datepublished", "pubdate")
	a, err := d.finish()
	if err != nil {
		return item{}, err
	}
	return item{art: a, line: line}, nil
}

// jsonText returns the first of the keys holding a usable value: a string,
// a number, an array of strings (joined as paragraphs, or with ", " for
// short values such as author lists) or an object with a "name".
func jsonText(fields map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if s := valueText(v, 0); strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func valueText(v json.RawMessage, depth int) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || depth > 2 {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) != nil {
			return ""
		}
		var parts []string
		long := false
		for _, e := range elems {
			if s := strings.TrimSpace(valueText(e, depth+1)); s != "" {
				parts = append(parts, s)
				long = long || len(s) > 80
			}
		}
		if long {
			return strings.Join(parts, "\n\n")
		}
		return strings.Join(parts, ", ")
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) == nil {
			if name, ok := obj["name"]; ok {
				return valueText(name, depth+1)
			}
		}
	default:
		var num json.Number
		if json.Unmarshal(v, &num) == nil {
			return num.String()
		}
	}
	return ""
}

// jsonTime reads a date string, or a Unix time in seconds or milliseconds.
func jsonTime(fields map[string]json.RawMessage, keys ...string) time.Time {
	for _, k := range keys {
		v, ok := fields[k]
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		if len(v) > 0 && v[0] == '"' {
			var s string
			if json.Unmarshal(v, &s) == nil {
				if t, ok := parseDate(s); ok {
					return t
				}
			}
			continue
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsNaN(f) || f <= 0 {
			continue
		}
		if f > 1e12 {
			f /= 1000
		}
		if f < 1e11 { // before the year 5138
			return time.Unix(int64(f), 0).UTC()
		}
	}
	return time.Time{}
}

var htmlTagRE = lazyRegexp(`(?i)<(?:p|br|div|/p|span|a\s|em|strong|h[1-6])[\s/>]`)

// looksLikeHTML reports whether a JSON text field holds HTML markup.
func looksLikeHTML(s string) bool {
	return strings.Contains(s, "<") && htmlTagRE.MatchString(s)
}
