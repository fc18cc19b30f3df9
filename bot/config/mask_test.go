package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct {
		in       string
		allQuery bool
		want     string
	}{
		{"https://api.openai.com/v1", true, "https://api.openai.com/v1"},
		{"https://alice:hunter2@host:8443/v1", false, "https://******@host:8443/v1"},
		{"https://sk-abc@host/v1", false, "https://******@host/v1"},
		{"https://host/v1?key=abc&api-version=2024-06-01", false, "https://host/v1?key=******&api-version=2024-06-01"},
		{"https://host/v1?key=abc&api-version=2024-06-01", true, "https://host/v1?key=******&api-version=******"},
		{"https://host/v1?access_token=abc&sig=d#frag", false, "https://host/v1?access_token=******&sig=******#frag"},
		{"postgres://u:p@db:5432/news?sslmode=require&password=x", false, "postgres://******@db:5432/news?sslmode=require&password=******"},
		{"https://host/path@with-at?x", false, "https://host/path@with-at?x"},
	} {
		if got := RedactURL(tc.in, tc.allQuery); got != tc.want {
			t.Errorf("RedactURL(%q, %v) = %q, want %q", tc.in, tc.allQuery, got, tc.want)
		}
	}
}

// TestPrintMasksURLCredentials: bot config shows a URL setting without its
// user information and query values.
func TestPrintMasksURLCredentials(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"OPENAI_BASE_URL":        "https://alice:hunter2-secret-pass@api.example.com/v1",
		"NEWSBOT_EMBED_BASE_URL": "https://embed.example.com/v1?key=query-secret-123456",
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	c.Print(&b)
	out := b.String()
	for _, leak := range []string{"alice", "hunter2", "query-secret-123456"} {
		if strings.Contains(out, leak) {
			t.Errorf("printed config shows %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"https://******@api.example.com/v1", "https://embed.example.com/v1?key=******"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed config lacks %q:\n%s", want, out)
		}
	}
	// A URL refused as invalid is quoted without them too.
	_, err = Load(nil, env(map[string]string{"OPENAI_BASE_URL": "ftp://alice:hunter2-secret-pass@host/"}), "")
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "ftp://******@host/") {
		t.Errorf("invalid URL error: %v", err)
	}
}

// TestMaskerMasksEveryShape: a token with or without its "Bot " prefix,
// whichever was configured; a connection string's password alone; a
// URL's credentials from the settings, and in any URL whatever their
// length; and nothing else.
func TestMaskerMasksEveryShape(t *testing.T) {
	const token = "MTE3MDAwMDAwMDAwMDAwMDAwMQ.Gx1234.abcdefghijklmnopqrstuvwxyz0123"
	for _, configured := range []string{"Bot " + token, token} {
		c, err := Load(nil, env(map[string]string{
			"DISCORD_TOKEN":    configured,
			"NEWSBOT_POSTGRES": "host=db user=newsbot password=pg-secret-4242 dbname=news",
			"OPENAI_BASE_URL":  "https://alice:hunter2-secret-pass@api.example.com/v1?key=query-secret-123456",
		}), "")
		if err != nil {
			t.Fatal(err)
		}
		m := c.Masker()
		for _, text := range []string{
			"gateway identify with " + token,
			"Authorization: Bot " + token,
			"failed to connect: password pg-secret-4242 rejected",
			"POST https://api.example.com/v1/chat (key query-secret-123456): 401",
			"user hunter2-secret-pass",
			`Post "http://bob:pw@10.0.0.1/v1?token=t1": refused`,
		} {
			got := m.Mask(text)
			for _, leak := range []string{token[:20], "pg-secret", "query-secret", "hunter2", ":pw@", "token=t1"} {
				if strings.Contains(got, leak) {
					t.Errorf("token configured as %.8q: Mask(%q) = %q shows %q", configured, text, got, leak)
				}
			}
		}
		if plain := "no secret in this line, user alice"; m.Mask(plain) != plain {
			t.Errorf("Mask changed a line without secrets: %q", m.Mask(plain))
		}
	}
	m := EnvMasker(env(map[string]string{"DISCORD_TOKEN": "Bot " + token}))
	if got := m.Mask("token " + token); strings.Contains(got, token) {
		t.Errorf("EnvMasker: %q", got)
	}
}
