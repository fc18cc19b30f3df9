package fakediscord

import (
	"embed"
	"testing"
)

// payloads are real interactions as Discord sends them, in the shape its
// documentation gives (every field a current client receives, permissions
// as strings, snowflakes as strings), addressed to the fake's application,
// guild and channel:
//
//   - ask_command.json: APPLICATION_COMMAND /ask with a question option;
//   - show_sources_click.json: MESSAGE_COMPONENT, a click on "Show
//     sources" under an answer citing passage 000_e22c96a855d117b2#1 of
//     the seed articles, with the message as Discord includes it;
//   - ping.json: the PING Discord sends to check an interactions endpoint;
//   - check_message.json: APPLICATION_COMMAND of type 3 (a message menu
//     command), "Check against the articles" on a member's message, which
//     the resolved data holds whole;
//   - autocomplete_outlet.json: APPLICATION_COMMAND_AUTOCOMPLETE of /source
//     while "tas" is typed in its outlet option (focused), its query given.
//
//go:embed testdata/interactions/*.json
var payloads embed.FS

// Payload returns the real interaction payload testdata/interactions/NAME
// (see the list above), to replay with DispatchRaw or PostInteraction. It
// fails t when there is none.
func Payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := payloads.ReadFile("testdata/interactions/" + name)
	if err != nil {
		t.Fatalf("fakediscord: payload %s: %v", name, err)
	}
	return b
}
