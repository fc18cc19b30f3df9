// Package fakediscord runs an in-process fake of Discord for end-to-end tests
// that drive the real discordgo Session.
//
// A Server starts two local listeners: an httptest server for the REST API
// (every /api/vN/ path, so discordgo's v9 endpoints work as a v10 client's
// would) and a websocket gateway. Server.Session returns a real
// *discordgo.Session whose HTTP client sends every request, whatever its
// host (discord.com, cdn.discordapp.com, ...), to the fake, so discordgo's
// Endpoint URLs work unchanged; GET /gateway answers with the fake gateway's
// ws:// URL.
//
// The gateway speaks the real protocol: HELLO, IDENTIFY answered by READY,
// heartbeats answered by HEARTBEAT_ACK, RESUME answered by the missed
// dispatches and RESUMED. Tests inject events with Dispatch,
// DispatchInteraction and DispatchMessage, and cut the connection with
// DropGateway to exercise discordgo's reconnect and resume. Sessions that
// identify with a shard receive only the events of their shard's guilds
// (shard = (guild_id >> 22) % shard count; see ShardOf and ShardGuild), as
// several gateway processes of one bot do; GET /gateway/bot recommends
// RecommendShards, and RequireShards closes an unsharded IDENTIFY with
// 4011.
//
// The REST API keeps what a bot creates (application commands, interaction
// responses, follow-ups, channel messages) and answers with the JSON Discord
// sends back. It enforces, like Discord, the rules a bot most often breaks:
//
//   - An interaction must be acknowledged once, within AckDeadline (3 s by
//     default) of its dispatch: a late callback gets 404 "Unknown
//     interaction" (10062), a second one 400 (40060). Interactions that were
//     never dispatched (built and passed to a handler directly) are accepted
//     at any time.
//   - The original response cannot be read or edited, nor follow-ups sent,
//     before the interaction was acknowledged (404).
//   - Message limits: 2,000 characters of content, 10 embeds, 256 in a
//     title, 4,096 in a description, 25 fields, 6,000 characters in all
//     embeds, 5 component rows; creating an empty message fails (400).
//   - Command registration: names of 1-32 lowercase letters, digits, '-' or
//     '_', descriptions of 1-100 characters, at most 25 options with the
//     required ones first (400).
//   - Authenticated routes need an Authorization header starting with
//     "Bot " (401); interaction callbacks and webhooks need none.
//
// Every request is recorded (see Request) and can be awaited with WaitFor.
// Every payload that creates or edits message content is checked for empty
// allowed mentions (see MentionViolations and StrictMentions). Faults are
// injected per path prefix with RateLimitNext, FailNext and Delay.
//
// A typical end-to-end test:
//
//	s := fakediscord.New(t, fakediscord.StrictMentions(t))
//	ds := s.Session("Bot test")
//	// ... register the bot's handlers on ds ...
//	if err := ds.Open(); err != nil { t.Fatal(err) }
//	if err := s.WaitConnected(ctx); err != nil { t.Fatal(err) }
//	i := fakediscord.CommandInteraction("ask", map[string]any{"question": "why?"},
//		fakediscord.UserSpec{Username: "alice"})
//	if err := s.DispatchInteraction(i); err != nil { t.Fatal(err) }
//	edit, err := s.WaitFor(ctx, fakediscord.Match("PATCH", "/webhooks/"))
//	msg, _ := s.OriginalResponse(i.Token)
//
// Time: discordgo's Close of an open session sleeps one second, and its
// reconnect after DropGateway waits one second first, so a test that opens a
// session takes about a second, one that drops the gateway about two. Tests
// that only use REST need no Open and take milliseconds.
//
// It is a test helper, not a full implementation of Discord: it has no
// guilds, members, roles, reactions or threads; unknown routes answer 404
// ({"message": "404: Not Found", "code": 0}, as Discord does) and are
// recorded.
package fakediscord
