package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/newsbot/newsbot/internal/fakeopenai"
)

// TestAskWithModelPrintsTheAnswerOnce runs `bot ask` against a fake
// OpenAI-compatible server whose answer cites the wrong passage once, so
// the checked answer differs from the model's text. Not on a terminal, the
// answer is printed once, checked.
func TestAskWithModelPrintsTheAnswerOnce(t *testing.T) {
	srv := fakeopenai.New(t)
	srv.QueueChat(fakeopenai.Response{Text: "Press TV says inspections of military sites are ruled out [1]. The US House voted for new sanctions with 423 votes in favor [1]."})
	env := map[string]string{"NEWSBOT_DATA": t.TempDir(), "OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": "sk-test"}
	out, errs, err := runBot(t, env, "ask", "-corpus", "../testdata/articles", "Will Iran allow inspections of its military sites?")
	if err != nil {
		t.Fatalf("ask: %v\n%s", err, errs)
	}
	const want = "Press TV says inspections of military sites are ruled out [1]. The US House voted for new sanctions with 423 votes in favor [2].\n\nSources:\n[1] "
	if !strings.HasPrefix(out, want) {
		t.Errorf("output doesn't start with the checked answer:\n%s\nwant it to start with:\n%s", out, want)
	}
	for _, s := range []string{"ruled out", "423 votes", "Sources:"} {
		if n := strings.Count(out, s); n != 1 {
			t.Errorf("%q printed %d times:\n%s", s, n, out)
		}
	}
	if reqs := srv.ChatRequests(); len(reqs) != 1 || reqs[0].Stream {
		t.Errorf("%d chat requests (streamed: %v); not on a terminal the answer is asked for whole", len(reqs), len(reqs) > 0 && reqs[0].Stream)
	}
}

// TestAnswerPrinterOnATerminal streams answers to an emulated terminal:
// whatever the checked answer, the screen ends up showing it once.
func TestAnswerPrinterOnATerminal(t *testing.T) {
	const streamed = "Press TV says inspections are ruled out [1]. The US House voted 423 to two for sanctions [1]."
	tests := []struct {
		name        string
		cols, rows  int
		partials    []string
		final       string
		wantEscapes bool // the stream is erased
	}{
		{
			name: "checked answer is the stream",
			cols: 40, rows: 24,
			partials: []string{"Press TV says", "Press TV says inspections are ruled out [1].", streamed},
			final:    streamed,
		},
		{
			name: "checked answer adds a note",
			cols: 40, rows: 24,
			partials: []string{"Press TV says", streamed},
			final:    streamed + "\n\n(Some statements could not be matched to the passages they cite; check them against the sources.)",
		},
		{
			name: "checked answer moves a citation",
			cols: 40, rows: 24,
			partials:    []string{"Press TV says", streamed},
			final:       strings.Replace(streamed, "sanctions [1]", "sanctions [2]", 1),
			wantEscapes: true,
		},
		{
			name: "line ends exactly at the edge",
			cols: len("Press TV says inspections are ruled out [1]."), rows: 24,
			partials:    []string{"Press TV says inspections are ruled out [1].", "Press TV says inspections are ruled out [1].\n\nMore [1]."},
			final:       "The model was unavailable; quoted instead [1].",
			wantEscapes: true,
		},
		{
			name: "fallback replaces the stream",
			cols: 30, rows: 24,
			partials:    []string{"Press TV says inspec"},
			final:       "The answer model is unavailable right now, so here are the most relevant sentences quoted from the articles:\n• Press TV: “No permission” [1]",
			wantEscapes: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &answerPrinter{w: &buf, tty: true, size: func() (int, int, bool) { return tc.cols, tc.rows, true }}
			for _, s := range tc.partials {
				p.partial(s)
			}
			p.final(tc.final)
			if got := strings.Contains(buf.String(), "\x1b["); got != tc.wantEscapes {
				t.Errorf("erased the stream: %v, want %v; output %q", got, tc.wantEscapes, buf.String())
			}
			screen := emulate(buf.String(), tc.cols)
			if screen != tc.final {
				t.Errorf("screen shows\n%q\nwant\n%q", screen, tc.final)
			}
		})
	}
}

// TestAnswerPrinterStreamTallerThanTheScreen: a stream that has scrolled
// off the screen can't be erased; the checked answer follows it, labelled.
func TestAnswerPrinterStreamTallerThanTheScreen(t *testing.T) {
	var buf bytes.Buffer
	p := &answerPrinter{w: &buf, tty: true, size: func() (int, int, bool) { return 20, 3, true }}
	p.partial("one [1].\ntwo [1].\nthree [1].\nfour [1].")
	p.final("one [1].\ntwo [2].")
	if got := buf.String(); strings.Contains(got, "\x1b[") || !strings.HasSuffix(got, "\n\n(checked answer:)\none [1].\ntwo [2].") {
		t.Errorf("output %q", got)
	}
}

// emulate renders what a terminal cols wide shows for out: text with
// deferred line wrap (a full row wraps at the next character), \r, \n,
// cursor up (ESC [ n A) and clear to the end of the screen (ESC [ J). It
// returns the screen's rows, those ended by a wrap joined to the next.
func emulate(out string, cols int) string {
	type row struct {
		cells   []rune
		wrapped bool // continued on the next row
	}
	screen := []row{{}}
	r, c := 0, 0
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		switch ch := rs[i]; {
		case ch == '\x1b' && i+1 < len(rs) && rs[i+1] == '[':
			j := i + 2
			for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(string(rs[i+2 : j]))
			switch rs[j] {
			case 'A':
				r = max(0, r-max(n, 1))
			case 'J':
				screen[r].cells = screen[r].cells[:min(c, len(screen[r].cells))]
				screen[r].wrapped = false
				screen = screen[:r+1]
			}
			i = j
		case ch == '\r':
			c = 0
		case ch == '\n':
			r, c = r+1, 0
			for len(screen) <= r {
				screen = append(screen, row{})
			}
		default:
			if c == cols {
				screen[r].wrapped = true
				r, c = r+1, 0
				for len(screen) <= r {
					screen = append(screen, row{})
				}
			}
			for len(screen[r].cells) <= c {
				screen[r].cells = append(screen[r].cells, ' ')
			}
			screen[r].cells[c] = ch
			c++
		}
	}
	var b strings.Builder
	for i, row := range screen {
		b.WriteString(string(row.cells))
		if !row.wrapped && i < len(screen)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
