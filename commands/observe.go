package commands

import "time"

// Observer is told about every interaction (and every answered mention)
// when it ends, for metrics; see Config.Observer. Observe is called on the
// goroutine that handled the interaction, once per interaction. Every
// method must return quickly.
type Observer interface {
	Observe(Event)
	// Rejected is told of a request the interactions endpoint refused
	// before any handler ran: why ("bad_signature", "stale_timestamp",
	// "too_large", "unreadable", "malformed", "unsupported",
	// "no_response", "replay") and the HTTP status it answered.
	Rejected(reason string, status int)
	// Fallback is told each time shared state (what: "limiter",
	// "replay", "slots", "votes") failed or was skipped after a failure,
	// and this process's own was used instead (a vote is then not
	// recorded).
	Fallback(what string)
}

// Event is what an Observer learns of one finished interaction: the same
// facts as its log line, typed.
type Event struct {
	// Command is the slash command ("ask"), the message menu command
	// ("Check against the articles"), the button ("ask:vote", "share:",
	// "stop:", "articles:" for a page), an autocomplete ("source:autocomplete")
	// or "mention"; "unknown" for commands and buttons the router doesn't
	// have, so that the set of values stays small.
	Command string
	// Outcome is "ok", "error", "refused", "cooldown", "busy",
	// "restarting", "stopped" (an answer its asker stopped), or "ignored"
	// for interaction types the router doesn't handle.
	Outcome string
	// Stages are how long each stage the interaction went through took,
	// in the order they ended: "ack", "queue", "retrieve", "generate",
	// "send", "download", "reindex".
	Stages []Stage
	// Total is the time from receiving the interaction to its end.
	Total time.Duration

	// Answered is set when an answer was generated; the fields below are
	// then filled.
	Answered bool
	// Mode says how the answer was made ("llm", "extractive").
	Mode  string
	Model string
	// Declined is set when the articles didn't cover the question.
	Declined bool
	// Fallback says why a quoted answer replaced the model's ("model
	// error: ...", "answer without valid citations"), "" when it didn't.
	Fallback         string
	PromptTokens     int
	CompletionTokens int
}

// Stage is the duration of one stage of an interaction.
type Stage struct {
	Name     string
	Duration time.Duration
}
