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
// sends back. It is as strict as Discord about what a bot can get wrong,
// answering with Discord's own error shapes (a 400 "Invalid Form Body",
// code 50035, whose "errors" object nests by the field's path, e.g.
// {"embeds": {"0": {"description": {"_errors": [...]}}}}):
//
//   - An interaction must be acknowledged once, within AckDeadline (3 s by
//     default) of its dispatch: a late callback gets 404 "Unknown
//     interaction" (10062), a second one 400 (40060). Interactions that were
//     never dispatched (built and passed to a handler directly) are accepted
//     at any time.
//   - The callback type must be one Discord accepts for the interaction's
//     type (a deferred update answers a button, not a command; a PING only
//     gets a PONG), for the interactions the fake has seen (dispatched, or
//     named with Track).
//   - The original response cannot be read or edited, nor follow-ups sent,
//     before the interaction was acknowledged (404), nor after its token's
//     15 minutes (TokenLifetime; 401 "Invalid Webhook Token", 50027). The
//     token ages by the Clock option's clock, so a test can expire it.
//   - Message limits, counted in UTF-16 code units: 2,000 characters of
//     content; 10 embeds, 256 in a title, 4,096 in a description, 25
//     fields (names 256, values 1,024, neither empty), 2,048 in a footer,
//     6,000 characters in all embeds; at most 5 component rows of 1-5
//     buttons (or one select menu), labels of at most 80 characters,
//     custom IDs of 1-100 characters unique in the message, link buttons
//     with a URL and no custom ID; creating an empty message fails (400).
//   - A reply's message_reference must name a message that exists (one the
//     bot sent, or one DispatchMessage sent and DeleteMessage did not
//     remove), unless it sets fail_if_not_exists to false, which sends an
//     ordinary message instead.
//   - Modals (callback type 9): only as the first response, to a command or
//     a component (never to a modal's submission); a custom_id of 1-100
//     characters, a title of 1-45, 1-5 action rows of exactly one text
//     input each (custom_id 1-100, unique; style 1 or 2; label 1-45;
//     min_length 0-4,000, max_length 1-4,000; a value within max_length;
//     a placeholder of at most 100). OpenedModal returns what was opened;
//     SubmitModal builds the MODAL_SUBMIT (type 5) a user's submission
//     sends, refusing (ErrRefusedByClient) what the client would: an empty
//     required input, a value outside the input's lengths, an unknown
//     input, a modal never opened.
//   - Threads: POST /channels/{channel}/messages/{message}/threads starts a
//     public thread whose ID is the message's, once per message (160004),
//     named in 1-100 characters, never inside a thread (50024), never
//     from an ephemeral or unknown message (10008); THREAD_CREATE goes to
//     the gateway, GET /channels/{id} describes the thread, and its
//     messages are channel messages of its ID (Thread, Threads,
//     ChannelMessages).
//   - Command registration: names matching ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$
//     in lowercase, descriptions of 1-100 characters, at most 25 options with the
//     required ones first, max_length and min_length (0-6,000) on string
//     options only, autocomplete only on string, integer and number options
//     without fixed choices (400). Context-menu commands (types 2 and 3)
//     have names of 1-32 characters of any case, and neither a description
//     nor options. name_localizations and description_localizations, on
//     commands and options, must use Discord's locales and follow the same
//     rules; names must be unique in every locale. DispatchInteraction
//     refuses, as Discord's client would, a command whose options break the
//     registered max_length, min_length or range (ErrRefusedByClient).
//   - Autocomplete (see AutocompleteInteraction): dispatched only for a
//     registered command's option declared with autocomplete, and answered
//     only by callback type 8, within the acknowledgement deadline, with at
//     most 25 choices whose names are 1-100 characters and whose values are
//     of the option's type (strings of at most 100); nothing follows it (no
//     edit or follow-up: 404). AutocompleteChoices returns the answer.
//     MessageCommandInteraction builds a message context-menu command, the
//     target message in its resolved data.
//   - Rate limits: each route has buckets keyed by its major parameter
//     (one per interaction token, per channel...; see DefaultLimits and
//     RouteLimits), announced in X-RateLimit-* headers; a request to an
//     empty bucket gets 429 with Retry-After and Discord's body. NoRateLimits
//     turns them off.
//   - Latency: every request can take a round trip (Latency, SetLatency).
//   - Authenticated routes need an Authorization header starting with
//     "Bot " (401); interaction callbacks and webhooks need none.
//
// Interactions reach the bot as Discord sends them: DispatchInteraction
// and DispatchRaw over the gateway, PostInteraction to an HTTP
// interactions endpoint (signed, its answer applied as the callback).
// Payload returns real interaction payloads kept under
// testdata/interactions, to replay either way. Track tells the fake about
// an interaction handed to the bot directly, so that its rules apply.
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
// guilds, members, roles or reactions, and threads only as above; unknown
// routes answer 404
// ({"message": "404: Not Found", "code": 0}, as Discord does) and are
// recorded.
package fakediscord
