package fakediscord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// IDs of the fake's application (which is also its bot user), guild and
// channel. Interactions built by this package come from GuildID and
// ChannelID; the gateway's READY names AppID as the bot user.
const (
	AppID     = "1170000000000000001"
	GuildID   = "1170000000000000002"
	ChannelID = "1170000000000000003"
	// BotUsername is the bot user's name in READY, /users/@me and the author
	// of the messages the bot creates.
	BotUsername = "newsbot"
)

// Default settings, changed with the Options of the same name.
const (
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	DefaultAckDeadline       = discordgo.InteractionDeadline
	// TokenLifetime is how long an interaction's token is valid for edits
	// and follow-ups after the interaction was created.
	TokenLifetime = 15 * time.Minute
)

// ErrClosed is returned by waits and dispatches on a closed Server.
var ErrClosed = errors.New("fakediscord: server closed")

// ErrNoSession is returned by a dispatch when no client has identified on the
// gateway. A session whose connection dropped still counts: its events are
// kept and replayed when it resumes.
var ErrNoSession = errors.New("fakediscord: no gateway session")

// An Option changes a setting of New.
type Option func(*config)

type config struct {
	heartbeat   time.Duration
	ackDeadline time.Duration
	strict      testing.TB
	latency     time.Duration
	now         func() time.Time
	limits      map[string]RouteLimit // nil turns the rate limits off
	// recommend is the shard count GET /gateway/bot answers; require, when
	// above 1, the least shard count IDENTIFY must ask for (close 4011
	// otherwise, as Discord past 2,500 guilds).
	recommend, require int
}

// HeartbeatInterval sets the interval announced in HELLO. discordgo sends a
// heartbeat at once and then at this interval, and reconnects when no ACK
// came for five intervals.
func HeartbeatInterval(d time.Duration) Option {
	return func(c *config) { c.heartbeat = d }
}

// AckDeadline sets how long after its dispatch an interaction may be
// acknowledged; later callbacks get Discord's 404 "Unknown interaction".
func AckDeadline(d time.Duration) Option {
	return func(c *config) { c.ackDeadline = d }
}

// Latency makes every REST request take at least d from its arrival to its
// answer, as the round trip to Discord does (typically 100-300 ms). The
// request is recorded at its arrival; SetLatency changes it later.
func Latency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// Clock replaces the clock that interaction tokens age by (time.Now by
// default), so that a test can expire a token without waiting 15 minutes
// (see ManualClock). Acknowledgement deadlines, latency and rate limits
// keep the real clock: clients wait on those in real time.
func Clock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// RecommendShards sets the shard count GET /gateway/bot recommends (1).
func RecommendShards(n int) Option {
	return func(c *config) { c.recommend = n }
}

// RequireShards makes the gateway refuse, with close code 4011 (Sharding
// required), an IDENTIFY without a shard or with fewer than n shards, as
// Discord refuses an unsharded bot in more than 2,500 guilds.
func RequireShards(n int) Option {
	return func(c *config) { c.require = n }
}

// StrictMentions makes every allowed-mentions violation also fail t with
// t.Errorf, besides being recorded. t must not end before the Server closes
// (pass the test that created it, or a parent).
func StrictMentions(t testing.TB) Option {
	return func(c *config) { c.strict = t }
}

// Server is a running fake Discord. Its methods are safe for concurrent use.
type Server struct {
	t       testing.TB
	cfg     config
	rest    *httptest.Server
	restURL *url.URL
	gw      *httptest.Server
	routes  []route

	closed    chan struct{}
	closeOnce sync.Once
	connWG    sync.WaitGroup // one per gateway connection handler

	notifyMu sync.Mutex
	changed  chan struct{} // closed and replaced on every change of state

	idSeq atomic.Uint64

	// mu guards the REST state below.
	mu           sync.Mutex
	requests     []Request
	violations   []MentionViolation
	faults       []*fault
	delays       []delayRule
	latency      time.Duration
	buckets      map[string]*bucket                         // by bucket name and key
	commands     map[string][]*discordgo.ApplicationCommand // by guild ID, "" for global
	interactions map[string]*interactionState               // by interaction ID
	byToken      map[string]*interactionState               // by interaction token
	messages     map[string]map[string]any                  // by message ID
	messageOrder []string
	threads      map[string]map[string]any   // by thread ID (the ID of the message it started from)
	userMessages map[string]string           // IDs of the messages DispatchMessage sent, to their channel
	attachments  map[string]storedAttachment // by attachment ID
	httpPending  map[string]chan struct{}    // tokens of PostInteraction's interactions, until their callback is applied

	// gwMu guards the gateway state below. Dispatches write while holding it,
	// so events reach each connection in sequence order.
	gwMu       sync.Mutex
	gwClosed   bool
	conns      map[*gwConn]struct{}
	sessions   map[string]*gwSession
	identifies int
	resumes    int
}

// New starts a fake Discord and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{heartbeat: DefaultHeartbeatInterval, ackDeadline: DefaultAckDeadline,
		now: time.Now, limits: DefaultLimits(), recommend: 1}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		t:            t,
		cfg:          cfg,
		closed:       make(chan struct{}),
		changed:      make(chan struct{}),
		commands:     map[string][]*discordgo.ApplicationCommand{},
		interactions: map[string]*interactionState{},
		byToken:      map[string]*interactionState{},
		messages:     map[string]map[string]any{},
		userMessages: map[string]string{},
		threads:      map[string]map[string]any{},
		buckets:      map[string]*bucket{},
		latency:      cfg.latency,
		attachments:  map[string]storedAttachment{},
		httpPending:  map[string]chan struct{}{},
		conns:        map[*gwConn]struct{}{},
		sessions:     map[string]*gwSession{},
		routes:       routes(),
	}
	s.rest = httptest.NewServer(http.HandlerFunc(s.serveREST))
	s.gw = httptest.NewServer(http.HandlerFunc(s.serveGateway))
	t.Cleanup(s.Close)
	u, err := url.Parse(s.rest.URL)
	if err != nil {
		t.Fatalf("fakediscord: parse server URL: %v", err)
	}
	s.restURL = u
	return s
}

// Close disconnects every gateway client, stops both listeners and waits for
// the server's goroutines to end. It is called by the test's cleanup and may
// be called earlier; later calls do nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.gwMu.Lock()
		s.gwClosed = true
		conns := make([]*gwConn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.gwMu.Unlock()
		for _, c := range conns {
			_ = c.ws.Close()
		}
		s.connWG.Wait()
		s.gw.Close()
		s.rest.Close()
	})
}

// URL returns the base URL of the REST server, e.g. "http://127.0.0.1:1234".
// Paths under it are Discord's: URL()+"/api/v10/users/@me".
func (s *Server) URL() string { return s.rest.URL }

// GatewayURL returns the gateway's URL as GET /gateway announces it,
// "ws://127.0.0.1:PORT/".
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.gw.URL, "http") + "/"
}

// HTTPClient returns a client that sends every request to the fake, keeping
// the path and query: https://discord.com/api/v9/users/@me and
// https://cdn.discordapp.com/attachments/ID/NAME both reach it.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{
		Transport: rewriteTransport{target: s.restURL, base: s.rest.Client().Transport},
		Timeout:   20 * time.Second,
	}
}

// Session returns a real discordgo Session, configured by Configure, whose
// Open connects to this fake. The token is used as given (a bot's token must
// start with "Bot ", as with Discord).
//
// The session is closed when the test ends, before the server. First the
// cleanup waits, for at most settleTimeout, until no gateway client is midway
// through a handshake or a reconnect, since closing discordgo then leaves a
// reconnecting goroutine behind. discordgo's Close of an open session takes
// one second.
func (s *Server) Session(token string) *discordgo.Session {
	ds, err := discordgo.New(token)
	if err != nil {
		s.t.Fatalf("fakediscord: new session: %v", err)
	}
	s.Configure(ds)
	s.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
		defer cancel()
		_ = s.wait(ctx, s.settled)
		_ = ds.Close()
	})
	return ds
}

// settleTimeout bounds how long a Session's cleanup waits for the gateway's
// clients to finish connecting. discordgo reconnects about one second after a
// drop.
const settleTimeout = 3 * time.Second

// Configure points an existing discordgo Session at this fake: its Client
// is replaced by HTTPClient and its Dialer by one without a proxy. Call it
// before Open.
func (s *Server) Configure(ds *discordgo.Session) {
	ds.Client = s.HTTPClient()
	ds.Dialer = &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
}

// rewriteTransport sends requests for any host to the fake's REST server. The
// original host stays in the Host header, so the fake can record it.
type rewriteTransport struct {
	target *url.URL
	base   http.RoundTripper
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the base
// transport.
func (t rewriteTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (t rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.URL.Scheme = t.target.Scheme
	out.URL.Host = t.target.Host
	out.Host = r.URL.Host
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return nil, fmt.Errorf("fakediscord transport: %w", err)
	}
	return resp, nil
}

// notify wakes every waiter; call it after each change of state.
func (s *Server) notify() {
	s.notifyMu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.notifyMu.Unlock()
}

func (s *Server) changes() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.changed
}

// wait blocks until cond returns true, ctx ends or the server closes. cond is
// evaluated without any of the server's locks held.
func (s *Server) wait(ctx context.Context, cond func() bool) error {
	for {
		ch := s.changes()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fakediscord: wait: %w", ctx.Err())
		case <-s.closed:
			return ErrClosed
		}
	}
}

// discordEpoch is the first millisecond of 2015, the origin of snowflakes.
const discordEpoch = 1420070400000

// snowflake makes a Discord ID from a time and 22 low bits.
func snowflake(t time.Time, low uint64) string {
	ms := uint64(t.UnixMilli() - discordEpoch)
	return strconv.FormatUint(ms<<22|low&(1<<22-1), 10)
}

// newID returns a fresh snowflake, unique within this server.
func (s *Server) newID() string {
	return snowflake(time.Now(), s.idSeq.Add(1))
}
