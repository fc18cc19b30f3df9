package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
)

// slowAnswer is a model answer that takes about 6 seconds to stream.
var slowAnswer = "Press TV reports that Iran's army says no permission for the inspection of military sites will be given to any country [1]. " +
	strings.Repeat("The commander added that the country's missile capabilities are not up for negotiation at all [1]. ", 3) +
	"THE-END-OF-THE-ANSWER [1]."

// stopButton returns the Stop button of a streaming answer, nil when it
// has none.
func stopButton(m *discordgo.Message) *discordgo.Button {
	for _, c := range m.Components {
		if row, ok := rowOf(c); ok {
			for _, b := range row.Components {
				if bt, ok := b.(*discordgo.Button); ok && strings.HasPrefix(bt.CustomID, idStop+":") {
					return bt
				}
			}
		}
	}
	return nil
}

// TestStopEndsTheStream streams a model's answer through discordgo and the
// strict fake: while it streams, the message has a Stop button; another
// member's press is refused privately and the answer goes on; the asker's
// ends the model's stream (the request is cancelled, not waited out), and
// the message keeps what was written, saying who stopped it, with no
// buttons, logged as stopped rather than failed. A press after that is
// told the answer has finished.
func TestStopEndsTheStream(t *testing.T) {
	t.Parallel()
	srv, cfg := withModel(t, func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: slowAnswer, ChunkSize: 8, DelayPerChunk: 120 * time.Millisecond}
	})
	e := newEnv(t, envOptions{open: true, config: func(c *Config) { cfg(c); c.EditInterval = 200 * time.Millisecond }})
	e.register()
	const q = "Will Iran allow inspections of its military sites?"
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": q}, member)
	if err := e.fake.DispatchInteraction(i); err != nil {
		t.Fatal(err)
	}
	m := e.waitResponse(i, 10*time.Second, func(m *discordgo.Message) bool {
		return streaming(m) && strings.Contains(m.Content, "Iran's army")
	})
	stop := stopButton(m)
	if stop.CustomID != idStop+":"+i.ID || len(stop.CustomID) > 100 {
		t.Fatalf("Stop's custom ID = %q", stop.CustomID)
	}

	// Someone else may not stop it.
	other := fakediscord.ComponentInteraction(stop.CustomID, m, bob)
	e.handle(other)
	if r := e.response(other); !isEphemeral(r) || !strings.Contains(r.Content, "Only the person who asked") {
		t.Errorf("another member's Stop = %+v, want a private refusal", r)
	}
	if now := e.response(i); !streaming(now) {
		t.Fatalf("the answer stopped for another member's press: %q", now.Content)
	}

	// The asker may.
	press := fakediscord.ComponentInteraction(stop.CustomID, e.response(i), member)
	if err := e.fake.DispatchInteraction(press); err != nil {
		t.Fatal(err)
	}
	pressed := time.Now()
	final := e.waitResponse(i, 5*time.Second, func(m *discordgo.Message) bool { return !streaming(m) })
	if d := time.Since(pressed); d > 2*time.Second {
		t.Errorf("the answer stopped %v after the press", d)
	}
	if !strings.HasPrefix(final.Content, "> "+q+"\n\nPress TV reports that Iran's army") || !strings.Contains(final.Content, "Stopped by alice") {
		t.Errorf("stopped answer = %q, want the text so far and who stopped it", final.Content)
	}
	if strings.Contains(final.Content, "THE-END") || strings.Contains(final.Content, genericFailure) || len(final.Components) != 0 {
		t.Errorf("stopped answer = %q %+v, want it cut short, not an error, without buttons", final.Content, final.Components)
	}
	if d, ok := e.fake.AckLatency(press.ID); !ok || d > 3*time.Second {
		t.Errorf("the press was acknowledged after %v (%v)", d, ok)
	}
	if fs := e.fake.Followups(press.Token); len(fs) != 0 {
		t.Errorf("the press sent %+v, want nothing (the answer says it stopped)", fs)
	}
	waitFor(t, func() bool { return strings.Contains(e.log.String(), `"outcome":"stopped"`) })
	if log := e.log.String(); !strings.Contains(log, `"command":"stop:"`) || strings.Contains(log, `"command":"stop:`+i.ID) {
		t.Errorf("the presses are logged under the interaction's ID, not as stop: (the metrics' labels must stay few):\n%s", log)
	}
	if n := srv.ChatCount(); n != 1 {
		t.Errorf("%d model requests, want 1 (a stop is not retried)", n)
	}

	// Too late now.
	late := fakediscord.ComponentInteraction(stop.CustomID, final, member)
	e.handle(late)
	if r := e.response(late); !isEphemeral(r) || !strings.Contains(r.Content, "already finished") {
		t.Errorf("Stop after the end = %+v", r)
	}
}

// TestStopByAModerator checks that a member who may manage the channel's
// messages can stop someone else's answer.
func TestStopByAModerator(t *testing.T) {
	t.Parallel()
	ans := newBlockingAnswerer()
	streamer := answererFunc(func(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error) {
		onPartial("Press TV reports [1]")
		return ans.Answer(ctx, q, onPartial)
	})
	e := newEnv(t, envOptions{config: func(c *Config) { c.Answerer = streamer }})
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": "What did Press TV report?"}, member)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.handle(i)
	}()
	receive(t, ans.started, "the answer to start")
	m := e.waitResponse(i, 5*time.Second, streaming)
	mod := fakediscord.ComponentInteraction(stopButton(m).CustomID, m,
		fakediscord.UserSpec{Username: "mod", Permissions: fakediscord.MemberPermissions | discordgo.PermissionManageMessages})
	e.handle(mod)
	receive(t, done, "the answer to stop")
	if got := e.response(i); !strings.Contains(got.Content, "Stopped by mod") || !strings.Contains(got.Content, "Press TV reports [1]") {
		t.Errorf("answer = %q", got.Content)
	}
}

// TestCompleteAnswerHasNoStop checks that Stop goes once the answer is
// done, and that a Stop of an answer this process isn't writing is told
// so.
func TestCompleteAnswerHasNoStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	i := fakediscord.CommandInteraction("ask", map[string]any{"question": "Will Iran allow inspections of its military sites?"}, member)
	e.handle(i)
	if m := e.response(i); stopButton(m) != nil || !answered(m) {
		t.Errorf("the finished answer has a Stop button: %+v", m.Components)
	}
	ghost := fakediscord.ComponentInteraction(idStop+":1170000000000000777", nil, member)
	e.handle(ghost)
	if r := e.response(ghost); !isEphemeral(r) || !strings.Contains(r.Content, "already finished") {
		t.Errorf("Stop of no answer = %+v", r)
	}
}

// answererFunc is a function as an Answerer.
type answererFunc func(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error)

func (f answererFunc) Answer(ctx context.Context, q seam.Question, onPartial func(string)) (seam.Answer, error) {
	return f(ctx, q, onPartial)
}

// TestRenderStopped checks the stopped message: the text as far as it was
// shown, the note, within Discord's limit however long the text was.
func TestRenderStopped(t *testing.T) {
	t.Parallel()
	long := renderPartial("q", strings.Repeat("word ", 600))
	for name, m := range map[string]message{
		"nothing yet": renderStopped("What? @everyone", nil, "@here"),
		"some":        renderStopped("What?", &message{Content: "> What?\n\nPress TV reports …"}, "alice"),
		"long":        renderStopped("q", &long, strings.Repeat("n", 40)),
	} {
		if w := width(m.Content); w > MessageLimit || !strings.Contains(m.Content, "Stopped by") {
			t.Errorf("%s: %d characters: %q", name, w, m.Content)
		}
		checkLimits(t, m)
	}
}
