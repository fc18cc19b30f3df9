package answer

import (
	"context"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/fakeopenai"
)

// longMessage holds three claims the seed articles speak to and one they
// don't, with chatter between.
const longMessage = "The US House voted to impose new sanctions on Iran's missile program. " +
	"Also Brazil won the World Cup in 2002, everyone knows that. " +
	"Iran says its defense programs are not influenced by diplomatic ties with other countries. lol ok. " +
	"Jazayeri said the improvement of missile equipment will never be stopped, not even for a moment."

func TestCheckOffline(t *testing.T) {
	ix := seedIndex(t, nil)
	eng, err := New(ix, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("one claim", func(t *testing.T) {
		res, err := eng.Check(context.Background(), "  Iran says it will never allow inspections of its military sites  ")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Claims) != 1 || res.Claims[0].Text != "Iran says it will never allow inspections of its military sites" {
			t.Fatalf("claims = %+v", res.Claims)
		}
		if res.Verdict != "" || res.Mode != ModeExtractive || res.NotCovered || len(res.Passages) == 0 {
			t.Errorf("result = %+v, want passages and no verdict", res)
		}
		if p := res.Passages[0]; p.N != 1 || p.ID != "000_e22c96a855d117b2#1" {
			t.Errorf("best passage = [%d] %s", p.N, p.ID)
		}
	})
	t.Run("claims", func(t *testing.T) {
		res, err := eng.Check(context.Background(), longMessage)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Claims) != 4 {
			t.Fatalf("claims = %+v, want 4", res.Claims)
		}
		if !strings.HasPrefix(res.Claims[0].Text, "The US House voted") || !strings.HasPrefix(res.Claims[3].Text, "Jazayeri said") {
			t.Errorf("claims out of the message's order: %+v", res.Claims)
		}
		if got := res.Claims[1]; !strings.Contains(got.Text, "Brazil") || len(got.Passages) != 0 {
			t.Errorf("the World Cup claim = %+v, want no passage (the articles don't speak to it)", got)
		}
		byN := map[int]string{}
		for i, p := range res.Passages {
			if p.N != i+1 {
				t.Errorf("passage %d is numbered %d", i, p.N)
			}
			byN[p.N] = p.ID
		}
		for _, c := range []int{0, 2, 3} {
			if len(res.Claims[c].Passages) == 0 {
				t.Errorf("claim %q has no passage", res.Claims[c].Text)
			}
			for _, n := range res.Claims[c].Passages {
				if byN[n] == "" {
					t.Errorf("claim %q names passage %d, which is not listed", res.Claims[c].Text, n)
				}
			}
		}
		if want := "000_e22c96a855d117b2#2"; byN[res.Claims[0].Passages[0]] != want {
			t.Errorf("the House claim's best passage is %s, want %s", byN[res.Claims[0].Passages[0]], want)
		}
		if byN[res.Claims[3].Passages[0]] != "004_8dd51ad8917eaa10#1" {
			t.Errorf("Jazayeri's claim's best passage is %s", byN[res.Claims[3].Passages[0]])
		}
	})
	t.Run("two short claims", func(t *testing.T) {
		// Each claim finds the passage that contradicts it: Iran says it
		// will never allow inspections; the House voted 423 to 2.
		res, err := eng.Check(context.Background(), "Iran says it will let inspectors into its military sites. And the US House voted 400 to 20 for new sanctions!")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Claims) != 2 || len(res.Claims[0].Passages) == 0 || len(res.Claims[1].Passages) == 0 {
			t.Fatalf("claims = %+v", res.Claims)
		}
		if got := res.Passages[res.Claims[0].Passages[0]-1].ID; got != "000_e22c96a855d117b2#1" {
			t.Errorf("the inspections claim's passage is %s", got)
		}
		if got := res.Passages[res.Claims[1].Passages[0]-1].ID; got != "000_e22c96a855d117b2#2" {
			t.Errorf("the House claim's passage is %s", got)
		}
	})
	t.Run("not covered", func(t *testing.T) {
		res, err := eng.Check(context.Background(), "Brazil won the 2002 World Cup final against Germany")
		if err != nil {
			t.Fatal(err)
		}
		if !res.NotCovered || len(res.Passages) != 0 {
			t.Errorf("result = %+v, want not covered", res)
		}
	})
	t.Run("blank", func(t *testing.T) {
		if _, err := eng.Check(context.Background(), " \n "); err == nil {
			t.Error("checking a blank message succeeded")
		}
	})
	t.Run("long", func(t *testing.T) {
		res, err := eng.Check(context.Background(), strings.Repeat("Iran will never allow inspections of its sites. ", 200))
		if err != nil {
			t.Fatal(err)
		}
		if n := len([]rune(res.Message)); n > maxCheckRunes || len(res.Claims) > maxClaims {
			t.Errorf("message of %d runes, %d claims; want at most %d and %d", n, len(res.Claims), maxCheckRunes, maxClaims)
		}
	})
}

func TestCheckVerdict(t *testing.T) {
	ix := seedIndex(t, nil)
	const claim = "Iran will let inspectors visit its military sites"
	tests := []struct {
		name         string
		reply        fakeopenai.Response
		wantVerdict  []string // substrings; none means no verdict
		wantNot      []string
		notCovered   bool
		fallback     string
		wantMode     string
		wantUnsupp   int
		wantInPrompt []string
	}{
		{
			name:         "cited",
			reply:        fakeopenai.Response{Text: "Press TV reports that Iran will never allow any inspection of its military sites [1]. None of the articles say that Iran will let inspectors in."},
			wantVerdict:  []string{"Press TV reports that", "[1]", "None of the articles say"},
			wantMode:     ModeLLM,
			wantInPrompt: []string{"<message>\n" + claim + "\n</message>", `<passage n="1">`, "Judge the claims from those passages alone"},
		},
		{
			name:        "invalid citation removed",
			reply:       fakeopenai.Response{Text: "Press TV reports that Iran will never allow any inspection of its military sites [1][7]."},
			wantVerdict: []string{"sites [1]."},
			wantNot:     []string{"[7]"},
			wantMode:    ModeLLM,
		},
		{
			name:     "no valid citation",
			reply:    fakeopenai.Response{Text: "Iran will let inspectors in [9]."},
			fallback: "verdict without valid citations",
			wantMode: ModeExtractive,
		},
		{
			name:        "unsupported",
			reply:       fakeopenai.Response{Text: "Reuters reports that Brazil beat Germany 2-0 in Yokohama [1]."},
			wantVerdict: []string{"could not be matched"},
			wantMode:    ModeLLM,
			wantUnsupp:  1,
		},
		{
			name:       "not covered",
			reply:      fakeopenai.Response{Text: "NOT_IN_ARTICLES"},
			notCovered: true,
			wantMode:   ModeLLM,
		},
		{
			name:     "model error",
			reply:    fakeopenai.Response{Status: 500, ErrorMessage: "boom"},
			fallback: "model error: HTTP 500",
			wantMode: ModeExtractive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, srv, _ := modelEngine(t, ix, 2*time.Second)
			srv.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response { return tt.reply })
			res, err := eng.Check(context.Background(), claim)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Passages) == 0 {
				t.Fatal("no passage speaks to the claim")
			}
			if res.Mode != tt.wantMode || res.NotCovered != tt.notCovered || res.Fallback != tt.fallback || res.Unsupported != tt.wantUnsupp {
				t.Errorf("mode %q, not covered %v, fallback %q, unsupported %d; want %q, %v, %q, %d",
					res.Mode, res.NotCovered, res.Fallback, res.Unsupported, tt.wantMode, tt.notCovered, tt.fallback, tt.wantUnsupp)
			}
			if len(tt.wantVerdict) == 0 && res.Verdict != "" {
				t.Errorf("verdict %q, want none", res.Verdict)
			}
			for _, w := range tt.wantVerdict {
				if !strings.Contains(res.Verdict, w) {
					t.Errorf("verdict %q lacks %q", res.Verdict, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(res.Verdict, w) {
					t.Errorf("verdict %q has %q", res.Verdict, w)
				}
			}
			reqs := srv.ChatRequests()
			if len(reqs) == 0 {
				t.Fatal("the model was not asked")
			}
			prompt := reqs[0].Messages[0].Content + reqs[0].Messages[1].Content
			for _, w := range tt.wantInPrompt {
				if !strings.Contains(prompt, w) {
					t.Errorf("prompt lacks %q", w)
				}
			}
		})
	}
}

// TestCheckAsksNoModelWhenNothingSpeaks checks that a message the articles
// say nothing about costs no model call.
func TestCheckAsksNoModelWhenNothingSpeaks(t *testing.T) {
	eng, srv, _ := modelEngine(t, seedIndex(t, nil), 2*time.Second)
	res, err := eng.Check(context.Background(), "Brazil won the 2002 World Cup final against Germany")
	if err != nil {
		t.Fatal(err)
	}
	if !res.NotCovered || srv.ChatCount() != 0 {
		t.Errorf("not covered %v after %d model calls, want true after none", res.NotCovered, srv.ChatCount())
	}
}

// TestCheckCancelled checks that a check whose context ends during the
// model call returns the context's error, not a result without a verdict.
func TestCheckCancelled(t *testing.T) {
	eng, srv, _ := modelEngine(t, seedIndex(t, nil), 5*time.Second)
	srv.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Delay: 3 * time.Second, Text: "x [1]"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := eng.Check(ctx, "Iran will let inspectors visit its military sites"); err == nil {
		t.Error("a cancelled check succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the cancelled check took %v", d)
	}
}
