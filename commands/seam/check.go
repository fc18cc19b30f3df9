package seam

import "time"

// Check is a message checked against the articles ("Check against the
// articles").
type Check struct {
	// Claims are the message's claims, in its order: the whole message
	// when it is short.
	Claims []Claim
	// Passages are every passage that speaks to a claim, numbered (N) as
	// Verdict cites them.
	Passages []Citation
	// Verdict is a model's short verdict, plain text from outside the bot
	// with citation marks [n] of Passages; "" offline, or when the model
	// failed (Fallback says why).
	Verdict string
	// NotCovered is set when no passage speaks to any claim.
	NotCovered bool
	// Mode says how the verdict was made ("llm"; "extractive" when there
	// is none); Model names the model asked.
	Mode, Model string
	// Fallback says why there is no verdict although a model is
	// configured; "" otherwise.
	Fallback                       string
	PromptTokens, CompletionTokens int
	// Retrieve and Generate are how long finding the passages and writing
	// the verdict took.
	Retrieve, Generate time.Duration
}

// Claim is one claim of a checked message.
type Claim struct {
	Text string
	// Passages are the numbers (Citation.N) of the passages that speak to
	// it, best first; none when the articles say nothing about it.
	Passages []int
}
