package main

// The harness of the tests of several replicas: "bot serve -http" replicas
// (the real serve code, in this process or as a child process that can be
// killed) sharing one real PostgreSQL (internal/pgtest) and one fake
// Discord. Start a cluster with newCluster, replicas with cluster.start,
// and talk to them as Discord would with cluster.command: the interaction
// is signed, posted to the replica's endpoint, and its HTTP response
// relayed to the fake as the callback before the replica's webhook calls
// go through. Other tests of shared state (cooldowns, the model budget)
// can start their replicas the same way, with their own environment.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/jackc/pgx/v5"

	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/pgtest"
	"github.com/newsbot/newsbot/internal/testkit"
	"github.com/newsbot/newsbot/retrieval"
)

// cluster is replicas of the bot sharing one PostgreSQL and one Discord.
type cluster struct {
	t    *testing.T
	PG   *pgtest.Server
	Fake *fakediscord.Server
	// Corpus is the article folder every replica imports by default (a
	// copy of the seeds), as replicas mounting one volume would.
	Corpus string
	// discord is Discord as the replicas reach it: the fake, behind the
	// gate that holds a webhook call until its interaction's response
	// was relayed.
	discord *httptest.Server
	gate    *ackGate
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey
}

// newCluster starts PostgreSQL (skipping the test without it, failing it
// under CI=true) and the fake Discord.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	pg := pgtest.Start(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := fakediscord.New(t, fakediscord.StrictMentions(t))
	gate := &ackGate{base: fake.HTTPClient().Transport, held: map[string]chan struct{}{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// The replica sent it to this server keeping Discord's host
			// (see redirect); the fake's transport takes it from there.
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = "https", pr.In.Host, pr.In.Host
		},
		Transport: gate,
	}
	discord := httptest.NewServer(proxy)
	t.Cleanup(discord.Close)
	return &cluster{t: t, PG: pg, Fake: fake, Corpus: testkit.CopySeeds(t), discord: discord, gate: gate, pub: pub, priv: priv}
}

// replicaConfig says how to start a replica. The zero value is an
// in-process replica with a data folder of its own, importing the
// cluster's corpus.
type replicaConfig struct {
	// Env adds to (or, with an empty value, removes from) the replica's
	// environment.
	Env map[string]string
	// Data is the data folder (a new one when empty); Corpus the folder
	// given as -corpus (the cluster's when empty, none when "-").
	Data, Corpus string
	// Process runs the replica as a child process, which Kill can
	// SIGKILL; an in-process replica exposes its Index instead.
	Process bool
}

// replica is one running "bot serve -http".
type replica struct {
	Name string
	// Interactions is its endpoint's URL, Metrics its metrics server's.
	Interactions, Metrics string
	Data                  string
	// Index is the replica's index (in-process replicas only).
	Index *retrieval.Index
	// Logs are its log (and, for a process, its other output).
	Logs *testkit.Buffer
	// Pid is the child's process ID (process replicas only).
	Pid int

	stopOnce sync.Once
	stopFn   func() error
	kill     func()
}

// Stop shuts the replica down as SIGTERM would and waits for it; it is
// also done when the test ends. It returns serve's error.
func (r *replica) Stop() error {
	var err error
	r.stopOnce.Do(func() { err = r.stopFn() })
	return err
}

// Kill SIGKILLs a process replica.
func (r *replica) Kill() {
	r.stopOnce.Do(func() { r.kill() })
}

// env is the environment of a replica of c: HTTP interactions signed with
// the cluster's key, the cluster's PostgreSQL, offline answers, no
// per-user limits (set NEWSBOT_COOLDOWN to test them).
func (c *cluster) env(rc replicaConfig) map[string]string {
	env := map[string]string{
		"DISCORD_TOKEN":      "test-token",
		"DISCORD_GUILD_ID":   fakediscord.GuildID,
		"DISCORD_APP_ID":     fakediscord.AppID,
		"DISCORD_PUBLIC_KEY": hex.EncodeToString(c.pub),
		"NEWSBOT_POSTGRES":   c.PG.DSN,
		"NEWSBOT_OFFLINE":    "1",
		"NEWSBOT_COOLDOWN":   "0",
		"NEWSBOT_LOG_FORMAT": "text",
		"NEWSBOT_LOG_LEVEL":  "debug",
		"NEWSBOT_LOCK_WAIT":  "30s",
	}
	for k, v := range rc.Env {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

// tuneShared shortens the shared store's waits for tests: polls, saves and
// reconnections.
func tuneShared(so *retrieval.SharedOptions) {
	so.Poll = 500 * time.Millisecond
	so.SaveEvery = 200 * time.Millisecond
	so.Reconnect.Base, so.Reconnect.Max = 100*time.Millisecond, time.Second
}

// start starts a replica and waits until it listens.
func (c *cluster) start(name string, rc replicaConfig) *replica {
	c.t.Helper()
	if rc.Data == "" {
		rc.Data = c.t.TempDir()
	}
	args := []string{"-data", rc.Data, "-http", "127.0.0.1:0", "-metrics", "127.0.0.1:0"}
	switch rc.Corpus {
	case "":
		args = append(args, "-corpus", c.Corpus)
	case "-":
	default:
		args = append(args, "-corpus", rc.Corpus)
	}
	r := &replica{Name: name, Data: rc.Data, Logs: &testkit.Buffer{}}
	addrs := make(chan [2]string, 2)
	failed := make(chan error, 1)
	if rc.Process {
		c.startProcess(r, c.env(rc), args, addrs, failed)
	} else {
		c.startInProcess(r, c.env(rc), args, addrs, failed)
	}
	c.t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			c.t.Errorf("replica %s: serve = %v", name, err)
		}
	})
	for range 2 {
		select {
		case a := <-addrs:
			switch a[0] {
			case "interactions":
				r.Interactions = "http://" + a[1] + "/interactions"
			case "metrics":
				r.Metrics = "http://" + a[1]
			}
		case err := <-failed:
			c.t.Fatalf("replica %s ended before it listened: %v\n%s", name, err, r.Logs)
		case <-time.After(60 * time.Second):
			c.t.Fatalf("replica %s never listened:\n%s", name, r.Logs)
		}
	}
	return r
}

func (c *cluster) startInProcess(r *replica, env map[string]string, args []string, addrs chan<- [2]string, failed chan<- error) {
	cl := &cli{getenv: func(k string) string { return env[k] }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: r.Logs}
	opts := serveOptions{
		HTTPClient:      &http.Client{Transport: redirect{to: c.discord.URL}, Timeout: 20 * time.Second},
		RegisterBackoff: 50 * time.Millisecond,
		ShutdownGrace:   5 * time.Second,
		Listening:       func(name string, a net.Addr) { addrs <- [2]string{name, a.String()} },
		Shared:          tuneShared,
		Index:           func(ix *retrieval.Index) { r.Index = ix },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := cl.serveWith(ctx, args, opts)
		done <- err
		failed <- err
	}()
	r.stopFn = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("replica %s did not stop within 30s of its context's end", r.Name)
		}
	}
	r.kill = func() { r.stopFn() }
}

// The child process of a process replica runs TestReplicaProcess with
// these variables.
const (
	replicaProcessEnv = "NEWSBOT_TEST_REPLICA"         // set in the child
	replicaEnvEnv     = "NEWSBOT_TEST_REPLICA_ENV"     // its environment, JSON
	replicaArgsEnv    = "NEWSBOT_TEST_REPLICA_ARGS"    // serve's arguments, JSON
	replicaDiscordEnv = "NEWSBOT_TEST_REPLICA_DISCORD" // where Discord is
	// replicaCLIEnv, set, makes the child run "bot" with the arguments
	// (serve's or any command's) rather than serve.
	replicaCLIEnv = "NEWSBOT_TEST_REPLICA_CLI"
)

// runProcess runs "bot ARGS..." in a child process with env (as a
// replica's, see cluster.env) and returns its output and error.
func (c *cluster) runProcess(env map[string]string, args ...string) (string, error) {
	c.t.Helper()
	envJSON, _ := json.Marshal(env)
	argsJSON, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), replicaProcessEnv+"=1", replicaCLIEnv+"=1", replicaEnvEnv+"="+string(envJSON), replicaArgsEnv+"="+string(argsJSON))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cluster) startProcess(r *replica, env map[string]string, args []string, addrs chan<- [2]string, failed chan<- error) {
	envJSON, _ := json.Marshal(env)
	argsJSON, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), replicaProcessEnv+"=1", replicaEnvEnv+"="+string(envJSON),
		replicaArgsEnv+"="+string(argsJSON), replicaDiscordEnv+"="+c.discord.URL)
	cmd.Stderr = r.Logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	r.Pid = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if f := strings.Fields(line); len(f) == 3 && f[0] == "LISTENING" {
				addrs <- [2]string{f[1], f[2]}
				continue
			}
			fmt.Fprintln(r.Logs, line)
		}
		err := cmd.Wait()
		exited <- err
		failed <- err
	}()
	r.stopFn = func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("replica %s did not stop within 30s of SIGTERM", r.Name)
		}
	}
	r.kill = func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
}

// TestReplicaProcess is the child process of a process replica: "bot
// serve" with the environment and arguments its parent gave, telling the
// parent where it listens on stdout, until SIGTERM (or SIGKILL).
func TestReplicaProcess(t *testing.T) {
	if os.Getenv(replicaProcessEnv) == "" {
		t.Skip("the child process of the replica tests")
	}
	var env map[string]string
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(replicaEnvEnv)), &env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(os.Getenv(replicaArgsEnv)), &args); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	getenv := func(k string) string { return env[k] }
	if os.Getenv(replicaCLIEnv) != "" {
		if err := run(ctx, append([]string{"bot"}, args...), getenv, strings.NewReader(""), os.Stdout, os.Stderr); err != nil {
			t.Fatalf("bot %s: %v", strings.Join(args, " "), err)
		}
		return
	}
	var mu sync.Mutex
	cl := &cli{getenv: getenv, stdin: strings.NewReader(""), stdout: os.Stdout, stderr: os.Stderr}
	err := cl.serveWith(ctx, args, serveOptions{
		HTTPClient:      &http.Client{Transport: redirect{to: os.Getenv(replicaDiscordEnv)}, Timeout: 20 * time.Second},
		RegisterBackoff: 50 * time.Millisecond,
		ShutdownGrace:   5 * time.Second,
		Shared:          tuneShared,
		Listening: func(name string, a net.Addr) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Printf("LISTENING %s %s\n", name, a)
		},
	})
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// redirect sends every request to the server at to, keeping Discord's
// host in the Host header.
type redirect struct{ to string }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	u, err := url.Parse(r.to)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
	return http.DefaultTransport.RoundTrip(out)
}

// post sends an interaction to a replica as Discord would, signed and
// stamped now; the gate holds the replica's webhook calls for it until
// relay.
func (c *cluster) post(r *replica, i *discordgo.Interaction) (int, []byte) {
	c.t.Helper()
	body, err := json.Marshal(i)
	if err != nil {
		c.t.Fatal(err)
	}
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, r.Interactions, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", stamp)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(c.priv, append([]byte(stamp), body...))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("post to %s: %v", r.Name, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, got
}

// command sends an interaction to a replica, relays its response, and
// returns the original response once done reports it final (or fails the
// test after timeout).
func (c *cluster) command(r *replica, i *discordgo.Interaction, timeout time.Duration, done func(*discordgo.Message) bool) *discordgo.Message {
	c.t.Helper()
	c.gate.hold(i.Token)
	defer c.gate.release(i.Token)
	status, body := c.post(r, i)
	if status != http.StatusOK {
		c.t.Fatalf("%s answered %d: %s", r.Name, status, body)
	}
	cb := fmt.Sprintf("%s/api/v10/interactions/%s/%s/callback", c.Fake.URL(), i.ID, i.Token)
	resp, err := c.Fake.HTTPClient().Post(cb, "application/json", bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		c.t.Fatalf("the fake refused the relayed response %s: %s", body, resp.Status)
	}
	c.gate.release(i.Token)
	deadline := time.Now().Add(timeout)
	for {
		m, ok := c.Fake.OriginalResponse(i.Token)
		if ok && done(m) {
			return m
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no final response from %s within %v: %+v\n%s", r.Name, timeout, m, r.Logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finished reports a response that no longer says work is under way.
func finished(m *discordgo.Message) bool {
	return m.Content != "" && !strings.Contains(m.Content, "…") && m.Flags&discordgo.MessageFlagsLoading == 0
}

// get fetches a path of a replica's metrics server.
func (r *replica) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(r.Metrics + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// admin connects to the cluster's PostgreSQL, for the test's own queries.
func (c *cluster) admin() *pgx.Conn {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.PG.DSN)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// storeArticles returns the store's articles (ID and hash) and its
// generation, from PostgreSQL.
func storeArticles(t *testing.T, db *pgx.Conn) (map[string]string, map[string]int, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.Query(ctx, `SELECT a.id, a.hash, (SELECT count(*) FROM newsbot_corpus_passages p, newsbot_corpus c
		WHERE p.article_id = a.id AND p.build = c.build) FROM newsbot_corpus_articles a`)
	if err != nil {
		t.Fatal(err)
	}
	hashes, passages := map[string]string{}, map[string]int{}
	for rows.Next() {
		var id, hash string
		var n int
		if err := rows.Scan(&id, &hash, &n); err != nil {
			t.Fatal(err)
		}
		hashes[id], passages[id] = hash, n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var gen int64
	if err := db.QueryRow(ctx, "SELECT generation FROM newsbot_corpus").Scan(&gen); err != nil {
		t.Fatal(err)
	}
	return hashes, passages, gen
}

// sameCorpus checks that a replica's index holds exactly the store's
// articles, each whole (every passage the store has of it, and no other).
func sameCorpus(t *testing.T, ix *retrieval.Index, db *pgx.Conn) {
	t.Helper()
	hashes, passages, _ := storeArticles(t, db)
	held := map[string]bool{}
	for _, a := range ix.Articles() {
		held[a.ID] = true
		switch {
		case hashes[a.ID] == "":
			t.Errorf("the replica serves %s, which the store doesn't have", a.ID)
		case hashes[a.ID] != a.Hash:
			t.Errorf("the replica serves another version of %s", a.ID)
		case passages[a.ID] != a.Passages:
			t.Errorf("the replica serves %d passages of %s, the store has %d", a.Passages, a.ID, passages[a.ID])
		}
		for n := 1; n <= a.Passages; n++ {
			if _, ok := ix.Passage(fmt.Sprintf("%s#%d", a.ID, n)); !ok {
				t.Errorf("passage %d of %s is missing", n, a.ID)
			}
		}
	}
	for id := range hashes {
		if !held[id] {
			t.Errorf("the store has %s, the replica doesn't", id)
		}
		if passages[id] == 0 {
			t.Errorf("the store has %s without its passages: a half-written article", id)
		}
	}
}

// waitGeneration waits until a replica's index holds the store's
// generation.
func waitGeneration(t *testing.T, ix *retrieval.Index, db *pgx.Conn, timeout time.Duration) {
	t.Helper()
	_, _, gen := storeArticles(t, db)
	deadline := time.Now().Add(timeout)
	for ix.Generation() != gen {
		if time.Now().After(deadline) {
			t.Fatalf("the replica is at generation %d, the store at %d, after %v", ix.Generation(), gen, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ingestArticle is a small article about a made-up festival.
const ingestArticle = "Quimper hosts the first Zorblax festival\n\nQUIMPER (Breizh Info) – The Breton town of Quimper held the first Zorblax festival on Saturday, " +
	"organisers said, with twelve thousand visitors over the weekend.\n\nThe mayor said the Zorblax festival would return next summer."

// syntheticCorpus writes n articles of made-up news, three paragraphs
// each, into a new folder: enough passages for a rebuild to take seconds.
func syntheticCorpus(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	words := []string{"harbour", "council", "ferry", "minister", "budget", "storm", "election", "archive", "festival", "bridge",
		"tariff", "fisheries", "railway", "hospital", "school", "museum", "court", "treaty", "market", "border"}
	for k := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "Report %d on the %s of Vell%03d\n\n", k, words[k%len(words)], k)
		for p := range 3 {
			for s := range 6 {
				w1, w2, w3 := words[(k+p+s)%len(words)], words[(k*7+s)%len(words)], words[(k*3+p*5+s)%len(words)]
				fmt.Fprintf(&b, "Officials in Vell%03d said the %s and the %s were discussed with the %s board on day %d, item %d. ", k, w1, w2, w3, k%365, p*10+s)
			}
			b.WriteString("\n\n")
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("report-%04d.txt", k)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// quantile returns the p-th quantile (0..1) of ds, sorted in place.
func quantile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[min(len(ds)-1, int(p*float64(len(ds))))]
}
