package answer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/fakeopenai"
)

// TestAnswerCancelledByTheCaller checks that an answer whose caller gives
// up while the model streams (a user pressed Stop) ends with the caller's
// cause, at once, without falling back to a quoted answer or logging a
// model failure.
func TestAnswerCancelledByTheCaller(t *testing.T) {
	eng, srv, logs := modelEngine(t, seedIndex(t, nil), 5*time.Second)
	srv.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: strings.Repeat("Press TV reports it [1]. ", 40), ChunkSize: 4, DelayPerChunk: 50 * time.Millisecond}
	})
	stopped := errors.New("stopped by a user")
	ctx, cancel := context.WithCancelCause(context.Background())
	started := make(chan struct{})
	var once sync.Once
	go func() {
		<-started
		cancel(stopped)
	}()
	start := time.Now()
	_, err := eng.Answer(ctx, Question{Text: inspections}, func(string) { once.Do(func() { close(started) }) })
	if !errors.Is(err, stopped) {
		t.Errorf("err = %v, want the caller's cause", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the cancelled answer took %v", d)
	}
	if strings.Contains(logs.String(), "model failed") {
		t.Errorf("a cancellation was logged as a model failure:\n%s", logs.String())
	}
}
