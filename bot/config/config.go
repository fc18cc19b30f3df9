// Package config is the one place the bot's settings are read: command-line
// flags first, then environment variables, then an optional TOML file, then
// defaults that work offline. Every setting is declared once in Settings,
// with its key, variable, default and whether it is a secret, and is decoded
// once, by Load, into a typed field of Config (bound in Config.field); the
// rest of the bot reads the fields, so a mistyped setting is a compile
// error. Unknown keys and invalid values are errors that name the key and
// where it came from.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Kind is the type of a setting's value.
type Kind int

// Kinds of settings.
const (
	String Kind = iota
	Bool
	Int
	Duration
	List // comma-separated
	URL  // http or https
	Addr // a listen address, host:port ("" host means every interface)
	Hex  // hexadecimal bytes
	Size // a number of bytes: 1048576, 512KiB, 10MiB, 1GiB
	// Count is a positive whole number or "auto" (decoded as 0).
	Count
	// Ranges are whole numbers and ranges of them, comma-separated:
	// "0,1", "4-7", "0-1,6".
	Ranges
)

// Setting declares one configuration key.
type Setting struct {
	Key     string // as in the file: "openai.model" is model under [openai]
	Env     string // environment variable
	Flag    string // command-line flag, when there is one
	Default string
	Kind    Kind
	Secret  bool // masked when printed, never logged
	// Choices, when not empty, are the only values allowed.
	Choices []string
	Help    string
}

// Settings are every setting the bot reads.
var Settings = []Setting{
	{Key: "index.data", Env: "NEWSBOT_DATA", Flag: "data", Help: "data folder holding the index (default: the user cache folder)"},
	{Key: "index.corpus", Env: "NEWSBOT_CORPUS", Flag: "corpus", Help: "folder of articles (default: the index's own, else testdata/articles)"},
	{Key: "index.store", Env: "NEWSBOT_INDEX_STORE", Default: "chromem", Choices: []string{"chromem", "pgvector"}, Help: "how the vectors are searched: chromem (in this process, by a contiguous scan); pgvector (vectors only in a PostgreSQL table) is refused with index.postgres, which makes PostgreSQL the corpus' system of record"},
	{Key: "index.postgres", Env: "NEWSBOT_POSTGRES", Secret: true, Help: "PostgreSQL connection string (e.g. postgres://user:pass@host/db): the corpus then lives there, shared by every replica, with the per-user limits, answer slots, replay memory, votes and follow-up conversations; the data folder holds this replica's snapshot (docs/deploy.md)"},
	{Key: "index.embedder", Env: "NEWSBOT_EMBEDDER", Default: "local", Choices: []string{"local", "lsa"}, Help: "offline embedder: local (hashing) or lsa (hashing plus word vectors learnt from the corpus; better on paraphrases, see docs/benchmarks.md)"},
	{Key: "index.embed_model", Env: "NEWSBOT_EMBED_MODEL", Help: "embeddings model on an OpenAI-compatible endpoint; empty: the local embedder"},
	{Key: "index.embed_base_url", Env: "NEWSBOT_EMBED_BASE_URL", Kind: URL, Help: "embeddings endpoint (default: openai.base_url)"},
	{Key: "index.embed_api_key", Env: "NEWSBOT_EMBED_API_KEY", Secret: true, Help: "embeddings API key (default: openai.api_key)"},
	{Key: "index.max_file_bytes", Env: "NEWSBOT_MAX_FILE_BYTES", Default: "10MiB", Kind: Size, Help: "largest article file read or uploaded (/ingest)"},
	{Key: "index.max_articles_per_file", Env: "NEWSBOT_MAX_ARTICLES_PER_FILE", Default: "10000", Kind: Int, Help: "most articles one file (JSON array, JSON Lines) may hold; a file with more is refused whole"},
	{Key: "index.max_passages_per_article", Env: "NEWSBOT_MAX_PASSAGES_PER_ARTICLE", Default: "5000", Kind: Int, Help: "most passages one article may be cut into; its file is refused whole"},
	{Key: "index.max_corpus_bytes", Env: "NEWSBOT_MAX_CORPUS_BYTES", Default: "1GiB", Kind: Size, Help: "most bytes of article files one index run reads; files past it (in path order) are skipped"},
	{Key: "index.max_articles", Env: "NEWSBOT_MAX_ARTICLES", Default: "100000", Kind: Int, Help: "most articles in the index; files past it (in path order) are skipped"},
	{Key: "index.max_passages", Env: "NEWSBOT_MAX_PASSAGES", Default: "250000", Kind: Int, Help: "most passages in the index; files past it (in path order) are skipped"},
	{Key: "index.lock_wait", Env: "NEWSBOT_LOCK_WAIT", Default: "10m", Kind: Duration, Help: "how long a reindex waits for another process writing the same data folder before it gives up (0: not at all)"},
	{Key: "openai.base_url", Env: "OPENAI_BASE_URL", Kind: URL, Help: "OpenAI-compatible API for answers; setting it or the key turns the model on"},
	{Key: "openai.api_key", Env: "OPENAI_API_KEY", Secret: true, Help: "API key for answers"},
	{Key: "openai.model", Env: "OPENAI_MODEL", Default: "gpt-4o-mini", Help: "chat model"},
	{Key: "openai.timeout", Env: "NEWSBOT_MODEL_TIMEOUT", Default: "45s", Kind: Duration, Help: "time allowed for one model request"},
	{Key: "answer.offline", Env: "NEWSBOT_OFFLINE", Default: "false", Kind: Bool, Help: "answer by quoting the articles even when a model is configured"},
	{Key: "discord.token", Env: "DISCORD_TOKEN", Secret: true, Help: "bot token (environment or file only, never a flag)"},
	{Key: "discord.guild_id", Env: "DISCORD_GUILD_ID", Help: "register commands to this server only (instant updates while testing)"},
	{Key: "discord.app_id", Env: "DISCORD_APP_ID", Help: "application ID (default: learnt from the session)"},
	{Key: "discord.public_key", Env: "DISCORD_PUBLIC_KEY", Kind: Hex, Help: "application public key (hex), for the HTTP interactions endpoint"},
	{Key: "discord.admin_guilds", Env: "NEWSBOT_ADMIN_GUILDS", Kind: List, Help: "server IDs where /reindex and /ingest may be used and are registered (default: discord.guild_id; none: admin commands are off)"},
	{Key: "discord.admin_roles", Env: "NEWSBOT_ADMIN_ROLES", Kind: List, Help: "role IDs allowed to run /reindex and /ingest besides Manage Server"},
	{Key: "serve.http", Env: "NEWSBOT_HTTP", Flag: "http", Kind: Addr, Help: "serve Discord interactions over HTTP at this address (/interactions) instead of the gateway"},
	{Key: "serve.metrics", Env: "NEWSBOT_METRICS", Flag: "metrics", Kind: Addr, Help: "address for /healthz, /readyz and /metrics (off when empty)"},
	{Key: "serve.mentions", Env: "NEWSBOT_MENTIONS", Flag: "mentions", Default: "false", Kind: Bool, Help: "also answer messages that mention the bot (Message Content intent)"},
	{Key: "serve.cooldown", Env: "NEWSBOT_COOLDOWN", Default: "10s", Kind: Duration, Help: "per-user wait between /ask (0 turns it off, and the other per-user limits with it)"},
	{Key: "serve.max_concurrent", Env: "NEWSBOT_MAX_CONCURRENT", Default: "4", Kind: Int, Help: "answers generated at once, by this process and, with index.postgres, by all replicas together"},
	{Key: "serve.queue", Env: "NEWSBOT_QUEUE", Default: "32", Kind: Int, Help: "answers waiting for a slot before users are told to retry"},
	{Key: "serve.drain_grace", Env: "NEWSBOT_DRAIN_GRACE", Default: "0s", Kind: Duration, Help: "after SIGTERM, how long /readyz answers 503 while interactions are still handled, so that a load balancer stops sending them before the bot refuses them (0: refuse at once)"},
	{Key: "serve.shutdown_grace", Env: "NEWSBOT_SHUTDOWN_GRACE", Default: "20s", Kind: Duration, Help: "then, how long the answers in flight may take to finish before they are cut short"},
	{Key: "serve.shards", Env: "NEWSBOT_SHARDS", Default: "1", Kind: Count, Help: "gateway shards of the bot as a whole: a count, or auto for Discord's recommendation (GET /gateway/bot)"},
	{Key: "serve.shard_ids", Env: "NEWSBOT_SHARD_IDS", Kind: Ranges, Help: "the shards this process connects, e.g. 0,1 or 2-3 (default: all of them); with several processes, give each its own and a fixed serve.shards"},
	{Key: "serve.feedback", Env: "NEWSBOT_FEEDBACK", Flag: "feedback", Help: "feedback log file (default: feedback.jsonl in the data folder)"},
	{Key: "serve.user_hash_key", Env: "NEWSBOT_USER_HASH_KEY", Secret: true, Help: "key of the hash standing for user IDs in logs and the feedback file (default: random at each start)"},
	{Key: "conversation.ttl", Env: "NEWSBOT_CONVERSATION_TTL", Default: "24h", Kind: Duration, Help: "how long a follow-up conversation is remembered after its last turn (0: the default)"},
	{Key: "conversation.turns", Env: "NEWSBOT_CONVERSATION_TURNS", Default: "6", Kind: Int, Help: "earlier turns a follow-up is answered after, and kept"},
	{Key: "conversation.tokens", Env: "NEWSBOT_CONVERSATION_TOKENS", Default: "1500", Kind: Int, Help: "budget of tokens for the earlier turns' questions and answers (four bytes a token)"},
	{Key: "log.format", Env: "NEWSBOT_LOG_FORMAT", Default: "auto", Choices: []string{"auto", "text", "json"}, Help: "text, json, or auto (text on a terminal, JSON otherwise)"},
	{Key: "log.level", Env: "NEWSBOT_LOG_LEVEL", Default: "info", Choices: []string{"debug", "info", "warn", "error"}, Help: "debug, info, warn or error (command-line tools show warnings and errors unless set)"},
}

// Source says where a value came from.
type Source string

// Sources of values, in order of precedence.
const (
	FromFlag    Source = "flag"
	FromEnv     Source = "env"
	FromFile    Source = "file"
	FromDefault Source = "default"
)

type value struct {
	raw string
	src Source
}

// Config is the effective configuration, one field a setting. Empty
// strings and zeros are settings left empty (the defaults are already in).
type Config struct {
	Index        IndexConfig
	OpenAI       OpenAIConfig
	Answer       AnswerConfig
	Discord      DiscordConfig
	Serve        ServeConfig
	Conversation ConversationConfig
	Log          LogConfig

	// values are the raw values and their sources, by key, for Print and
	// SourceOf.
	values map[string]value
	file   string
}

// IndexConfig is [index]: where the index and the articles are, and how
// passages are embedded and searched.
type IndexConfig struct {
	Data, Corpus string
	Store        string // "chromem" or "pgvector"
	Postgres     string // secret
	Embedder     string // "local" or "lsa"
	EmbedModel   string
	EmbedBaseURL string
	EmbedAPIKey  string // secret
	// LockWait is how long a reindex waits for another process writing
	// the data folder; zero when the setting is 0 (no wait).
	LockWait time.Duration
	// The caps on what one file and one index run may cost (ingest and
	// reindex refuse or skip what goes over them).
	MaxFileBytes          int64
	MaxArticlesPerFile    int
	MaxPassagesPerArticle int
	MaxCorpusBytes        int64
	MaxArticles           int
	MaxPassages           int
}

// OpenAIConfig is [openai]: the model that writes answers.
type OpenAIConfig struct {
	BaseURL string
	APIKey  string // secret
	Model   string
	Timeout time.Duration
}

// AnswerConfig is [answer].
type AnswerConfig struct {
	Offline bool
}

// DiscordConfig is [discord]: the application.
type DiscordConfig struct {
	Token      string // secret
	GuildID    string
	AppID      string
	PublicKey  string // hexadecimal
	AdminRoles []string

	// AdminGuilds are the servers where the admin commands work; empty
	// when the setting is (bot serve then uses GuildID, if any).
	AdminGuilds []string
}

// ServeConfig is [serve]: how "bot serve" runs.
type ServeConfig struct {
	HTTP, Metrics string
	Mentions      bool
	// Cooldown is the per-user wait between answers; negative when the
	// setting is 0 (off), zero when it is empty (the commands' default).
	Cooldown      time.Duration
	MaxConcurrent int
	Queue         int
	// DrainGrace is how long /readyz is 503 after SIGTERM while
	// interactions are still handled; ShutdownGrace then bounds the wait
	// for those in flight.
	DrainGrace, ShutdownGrace time.Duration
	// Shards is the gateway shard count, 0 for "auto"; ShardIDs are the
	// shards this process connects, all of them when empty.
	Shards      int
	ShardIDs    []int
	Feedback    string
	UserHashKey string // secret
}

// ConversationConfig is [conversation]: what follow-up conversations
// remember.
type ConversationConfig struct {
	// TTL is how long a conversation is kept after its last turn; zero
	// for the store's default.
	TTL           time.Duration
	Turns, Tokens int
}

// LogConfig is [log].
type LogConfig struct {
	Format, Level string
}

// field returns the field that holds the setting key, as a pointer.
func (c *Config) field(key string) any {
	switch key {
	case "index.data":
		return &c.Index.Data
	case "index.corpus":
		return &c.Index.Corpus
	case "index.store":
		return &c.Index.Store
	case "index.postgres":
		return &c.Index.Postgres
	case "index.embedder":
		return &c.Index.Embedder
	case "index.embed_model":
		return &c.Index.EmbedModel
	case "index.embed_base_url":
		return &c.Index.EmbedBaseURL
	case "index.embed_api_key":
		return &c.Index.EmbedAPIKey
	case "index.lock_wait":
		return &c.Index.LockWait
	case "index.max_file_bytes":
		return &c.Index.MaxFileBytes
	case "index.max_articles_per_file":
		return &c.Index.MaxArticlesPerFile
	case "index.max_passages_per_article":
		return &c.Index.MaxPassagesPerArticle
	case "index.max_corpus_bytes":
		return &c.Index.MaxCorpusBytes
	case "index.max_articles":
		return &c.Index.MaxArticles
	case "index.max_passages":
		return &c.Index.MaxPassages
	case "openai.base_url":
		return &c.OpenAI.BaseURL
	case "openai.api_key":
		return &c.OpenAI.APIKey
	case "openai.model":
		return &c.OpenAI.Model
	case "openai.timeout":
		return &c.OpenAI.Timeout
	case "answer.offline":
		return &c.Answer.Offline
	case "discord.token":
		return &c.Discord.Token
	case "discord.guild_id":
		return &c.Discord.GuildID
	case "discord.app_id":
		return &c.Discord.AppID
	case "discord.public_key":
		return &c.Discord.PublicKey
	case "discord.admin_guilds":
		return &c.Discord.AdminGuilds
	case "discord.admin_roles":
		return &c.Discord.AdminRoles
	case "serve.http":
		return &c.Serve.HTTP
	case "serve.metrics":
		return &c.Serve.Metrics
	case "serve.mentions":
		return &c.Serve.Mentions
	case "serve.cooldown":
		return &c.Serve.Cooldown
	case "serve.max_concurrent":
		return &c.Serve.MaxConcurrent
	case "serve.queue":
		return &c.Serve.Queue
	case "serve.drain_grace":
		return &c.Serve.DrainGrace
	case "serve.shutdown_grace":
		return &c.Serve.ShutdownGrace
	case "serve.shards":
		return &c.Serve.Shards
	case "serve.shard_ids":
		return &c.Serve.ShardIDs
	case "serve.feedback":
		return &c.Serve.Feedback
	case "serve.user_hash_key":
		return &c.Serve.UserHashKey
	case "conversation.ttl":
		return &c.Conversation.TTL
	case "conversation.turns":
		return &c.Conversation.Turns
	case "conversation.tokens":
		return &c.Conversation.Tokens
	case "log.format":
		return &c.Log.Format
	case "log.level":
		return &c.Log.Level
	}
	return nil
}

// decode sets the field of a setting from its (valid) raw value.
func (c *Config) decode(s Setting, raw string) {
	switch f := c.field(s.Key).(type) {
	case *string:
		*f = raw
	case *bool:
		*f, _ = strconv.ParseBool(raw)
	case *int:
		*f, _ = strconv.Atoi(raw) // "auto" of a Count is 0
	case *int64:
		*f, _ = parseSize(raw)
	case *time.Duration:
		*f, _ = time.ParseDuration(raw)
	case *[]string:
		*f = nil
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				*f = append(*f, p)
			}
		}
	case *[]int:
		*f, _ = parseRanges(raw)
	default:
		panic("config: no field for " + s.Key) // a programming error, caught by tests
	}
}

// parseRanges reads whole numbers and ranges of them ("0,1", "4-7"), in
// the order given, refusing repeats; empty is none.
func parseRanges(raw string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err != nil || a < 0 || b < a || b-a > 1<<16 {
			return nil, fmt.Errorf("%q is not a number or a range such as 2-5", part)
		}
		for n := a; n <= b; n++ {
			if seen[n] {
				return nil, fmt.Errorf("%d is listed twice", n)
			}
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// Load resolves every setting. flags holds the flags given on the command
// line (by flag name); file, when not empty, is a TOML file that must exist.
func Load(flags map[string]string, getenv func(string) string, file string) (*Config, error) {
	c := &Config{values: map[string]value{}, file: file}
	fromFile := map[string]string{}
	if file != "" {
		var err error
		if fromFile, err = readFile(file); err != nil {
			return nil, err
		}
	}
	byFlag := map[string]Setting{}
	for _, s := range Settings {
		if s.Flag != "" {
			byFlag[s.Flag] = s
		}
	}
	for name := range flags {
		if _, ok := byFlag[name]; !ok {
			return nil, fmt.Errorf("config: unknown flag -%s", name)
		}
	}
	var errs []error
	for _, s := range Settings {
		v := value{raw: s.Default, src: FromDefault}
		if raw, ok := fromFile[s.Key]; ok {
			v = value{raw, FromFile}
		}
		if raw := getenv(s.Env); raw != "" {
			v = value{raw, FromEnv}
		}
		if raw, ok := flags[s.Flag]; ok && s.Flag != "" {
			v = value{raw, FromFlag}
		}
		v.raw = strings.TrimSpace(v.raw)
		if err := check(s, v.raw); err != nil {
			errs = append(errs, fmt.Errorf("config: %s (%s): %w", s.Key, describe(s, v.src), err))
			continue
		}
		c.values[s.Key] = v
		c.decode(s, v.raw)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.Serve.Cooldown == 0 && c.values["serve.cooldown"].raw != "" {
		c.Serve.Cooldown = -1 // an explicit 0 turns the cooldown off
	}
	return c, nil
}

func describe(s Setting, src Source) string {
	switch src {
	case FromFlag:
		return "flag -" + s.Flag
	case FromEnv:
		return "$" + s.Env
	case FromFile:
		return "config file"
	}
	return "default"
}

// readFile reads a TOML file into flat "section.key" strings, refusing keys
// no setting declares.
func readFile(path string) (map[string]string, error) {
	var raw map[string]any
	md, err := toml.DecodeFile(path, &raw)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, s := range Settings {
		known[s.Key] = true
	}
	out := map[string]string{}
	var errs []error
	for _, key := range md.Keys() {
		k := key.String()
		v := lookup(raw, key)
		if _, isTable := v.(map[string]any); isTable {
			continue
		}
		if !known[k] {
			errs = append(errs, fmt.Errorf("config file %s: unknown key %q", path, k))
			continue
		}
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			out[k] = strings.Join(parts, ",")
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, errors.Join(errs...)
}

func lookup(m map[string]any, key toml.Key) any {
	var cur any = m
	for _, part := range key {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[part]
	}
	return cur
}

// check validates a raw value for its kind.
func check(s Setting, raw string) error {
	if raw == "" {
		return nil
	}
	if len(s.Choices) > 0 && !slices.Contains(s.Choices, strings.ToLower(raw)) {
		return fmt.Errorf("%q is not one of %s", raw, strings.Join(s.Choices, ", "))
	}
	switch s.Kind {
	case Bool:
		if _, err := strconv.ParseBool(raw); err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
	case Int:
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a positive whole number", raw)
		}
	case Duration:
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration such as 30s or 2m", raw)
		}
	case URL:
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL", mask(s, raw))
		}
	case Addr:
		_, port, err := net.SplitHostPort(raw)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q is not an address such as :9090 or 127.0.0.1:9090", raw)
		}
	case Hex:
		if _, err := hex.DecodeString(raw); err != nil {
			return fmt.Errorf("%q is not hexadecimal", mask(s, raw))
		}
	case Size:
		if n, err := parseSize(raw); err != nil || n < 1 {
			return fmt.Errorf("%q is not a size such as 10MiB, 512KiB or 1048576", raw)
		}
	case Count:
		if n, err := strconv.Atoi(raw); !strings.EqualFold(raw, "auto") && (err != nil || n < 1) {
			return fmt.Errorf("%q is neither auto nor a positive whole number", raw)
		}
	case Ranges:
		if _, err := parseRanges(raw); err != nil {
			return err
		}
	}
	return nil
}

// sizeUnits are the suffixes a Size may carry, with their factors.
var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"gb", 1e9}, {"mb", 1e6}, {"kb", 1e3}, {"b", 1},
}

// parseSize reads a number of bytes, with an optional unit (KiB, MiB,
// GiB, or KB, MB, GB, or B; any letter case, a space allowed before it).
func parseSize(raw string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	factor := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, factor = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/factor {
		return 0, fmt.Errorf("bad size %q", raw)
	}
	return n * factor, nil
}

// File returns the TOML file the configuration was read from, "" when none.
func (c *Config) File() string { return c.file }

// SourceOf returns where the value of a setting came from, given its field
// (&c.Index.Corpus).
func (c *Config) SourceOf(field any) Source {
	for _, s := range Settings {
		if c.field(s.Key) == field {
			return c.values[s.Key].src
		}
	}
	panic(fmt.Sprintf("config: %T is not a field of this Config", field)) // a programming error
}

// Print writes the effective configuration, one setting a line with its
// source; secrets are masked.
func (c *Config) Print(w io.Writer) {
	keys := make([]string, 0, len(Settings))
	byKey := map[string]Setting{}
	for _, s := range Settings {
		keys = append(keys, s.Key)
		byKey[s.Key] = s
	}
	sort.Strings(keys)
	if c.file != "" {
		fmt.Fprintf(w, "# config file: %s\n", c.file)
	}
	for _, k := range keys {
		s, v := byKey[k], c.values[k]
		shown := mask(s, v.raw)
		if shown == "" {
			shown = `""`
		}
		where := describe(s, v.src)
		if v.src != FromEnv {
			where += " (variable $" + s.Env + ")"
		}
		fmt.Fprintf(w, "%-22s = %-28s # %s\n", k, shown, where)
	}
}

// mask hides a secret for printing: empty stays empty, a secret shows
// only that it is set, a URL shows without its credentials (user
// information and query values, mask.go).
func mask(s Setting, raw string) string {
	switch {
	case raw == "":
		return raw
	case s.Secret:
		return "****** (set)"
	case s.Kind == URL:
		return RedactURL(raw, true)
	}
	return raw
}

// Secrets returns what of the settings must never show (the values of the
// secret settings that are set, and their parts: a token without its "Bot "
// prefix, a URL's credentials), so that logs can be checked for them.
// Masker scrubs them.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range Settings {
		for _, p := range secretParts(s, c.values[s.Key].raw) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// FileFromEnv returns the config file named by $NEWSBOT_CONFIG, checking it
// exists.
func FileFromEnv(getenv func(string) string) (string, error) {
	f := getenv("NEWSBOT_CONFIG")
	if f == "" {
		return "", nil
	}
	if _, err := os.Stat(f); err != nil {
		return "", fmt.Errorf("config file from $NEWSBOT_CONFIG: %w", err)
	}
	return f, nil
}
