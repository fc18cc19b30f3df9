package config

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Masking: secrets never show, whether the settings are printed (Print),
// logged, or quoted by an error the bot prints as it exits. A secret shows
// in other shapes than its setting's value: a Discord token with or without
// its "Bot " prefix, the password of a connection string on its own, the
// credentials of a URL (https://user:pass@host/v1, ?key=...). Masker knows
// them all.

// masked is what a secret is replaced with.
const masked = "******"

// minMaskedSecret is the shortest secret masked wherever it occurs in a
// text: shorter ones would mask ordinary words. (The credentials of a URL
// are masked in any URL whatever their length.)
const minMaskedSecret = 8

// secretParts returns what of a setting's value must never show: the
// whole value of a secret setting and the pieces of it that can appear
// alone, and the credentials in a URL setting.
func secretParts(s Setting, raw string) []string {
	if raw == "" {
		return nil
	}
	var out []string
	if s.Secret {
		out = append(out, raw)
		// discordgo wants the token as "Bot TOKEN", the gateway and some
		// errors carry it bare: mask both, whichever was configured.
		if t := strings.TrimSpace(strings.TrimPrefix(raw, "Bot ")); t != raw {
			out = append(out, t)
		}
		// A key=value connection string's password.
		for _, f := range strings.Fields(raw) {
			if k, v, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
				out = append(out, strings.Trim(v, `'"`))
			}
		}
	}
	if s.Secret || s.Kind == URL {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			if u.User != nil {
				out = append(out, u.User.Username())
				if p, ok := u.User.Password(); ok {
					out = append(out, p)
				}
			}
			for _, vs := range u.Query() {
				out = append(out, vs...)
			}
		}
	}
	return slices.DeleteFunc(out, func(p string) bool { return p == "" })
}

// Masker hides secrets in texts: the values of the secret settings and
// their parts (secretParts), and the credentials of every URL in the text.
// The zero Masker masks URL credentials only.
type Masker struct {
	secrets []string // longest first, so that a value goes before its parts
}

func newMasker(parts []string) Masker {
	var m Masker
	for _, p := range parts {
		if len(p) >= minMaskedSecret && !slices.Contains(m.secrets, p) {
			m.secrets = append(m.secrets, p)
		}
	}
	slices.SortFunc(m.secrets, func(a, b string) int { return len(b) - len(a) })
	return m
}

// Masker returns the masker of this configuration's secrets.
func (c *Config) Masker() Masker {
	var parts []string
	for _, s := range Settings {
		parts = append(parts, secretParts(s, c.values[s.Key].raw)...)
	}
	return newMasker(parts)
}

// EnvMasker returns a masker of the secrets set in the environment, for
// the errors of a configuration that could not be loaded.
func EnvMasker(getenv func(string) string) Masker {
	var parts []string
	for _, s := range Settings {
		parts = append(parts, secretParts(s, strings.TrimSpace(getenv(s.Env)))...)
	}
	return newMasker(parts)
}

// Mask returns s with every secret replaced by "******" and the
// credentials of its URLs masked (RedactURL).
func (m Masker) Mask(s string) string {
	for _, sec := range m.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, masked)
		}
	}
	if strings.Contains(s, "://") {
		s = urlInText.ReplaceAllStringFunc(s, func(u string) string { return RedactURL(u, false) })
	}
	return s
}

// urlInText matches a URL in running text, up to a space, a quote or a
// bracket.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>()\[\]{}\x60]+`)

// credentialParam matches the names of query parameters that carry
// credentials.
var credentialParam = regexp.MustCompile(`(?i)key|token|secret|passw|pwd|auth|sig|credential|session`)

// RedactURL masks the credentials of a URL: its user information
// (https://******@host/v1), and the values of its query parameters whose
// names suggest a credential (key, token, secret, password, signature...),
// or of all of them when allQuery is set. The rest is kept as written.
func RedactURL(raw string, allQuery bool) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = masked + rest[at:]
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		return scheme + "://" + rest
	}
	query, frag, hasFrag := strings.Cut(rest[q+1:], "#")
	params := strings.Split(query, "&")
	for i, p := range params {
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && (allQuery || credentialParam.MatchString(k)) {
			params[i] = k + "=" + masked
		}
	}
	out := scheme + "://" + rest[:q+1] + strings.Join(params, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
