// Command bot is a Discord bot that answers questions about a corpus of news
// articles, citing the passages it used. It also runs from the command line:
//
//	bot ask "Will Iran allow inspections of its military sites?"
//	bot source "missile sanctions"
//	bot index -corpus ./articles
//	bot eval -corpus ./articles -questions questions.jsonl
//	bot serve
//	bot config
//
// With no configuration it works offline: a local embedder and extractive
// answers quoted from the articles.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/newsbot/newsbot/bot/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		report(os.Stderr, err)
		os.Exit(exitCode(err))
	}
}

// report prints an error for the person at the terminal: each line of it
// prefixed with "bot:" (a configuration can have several mistakes at
// once), nothing for a usage error the flag package already explained.
func report(w io.Writer, err error) {
	var u usageError
	if errors.As(err, &u) && u.msg == "" {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
		fmt.Fprintln(w, "bot:", line)
	}
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// mask hides the secrets an error quotes (a URL with a password or a key,
// a token) before it is printed: those of the configuration, or, when it
// could not be loaded, those set in the environment. The error still
// matches what it wraps (a usageError keeps its exit status).
func (c *cli) mask(err error) error {
	if err == nil {
		return nil
	}
	m := config.EnvMasker(c.getenv)
	if c.cfg != nil {
		m = c.cfg.Masker()
	}
	if msg := m.Mask(err.Error()); msg != err.Error() {
		return maskedError{msg: msg, err: err}
	}
	return err
}

// maskedError is an error whose message had secrets masked.
type maskedError struct {
	msg string
	err error
}

func (e maskedError) Error() string { return e.msg }
func (e maskedError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// cli carries what every subcommand needs from the outside world, and,
// once the command has read them (see configure), its settings and logger.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	cfg *config.Config
	log *slog.Logger
	// cmd is the subcommand ("index"), which names this process to others
	// waiting for its locks.
	cmd string
}

const usage = `bot answers questions about a folder of news articles, citing its sources.

Usage:
  bot ask [-data DIR] [-corpus DIR] [-k N] [-json] QUESTION   answer a question
  bot source [-data DIR] [-corpus DIR] [-k N] [-json] QUERY   show the best passages
  bot index [-data DIR] [-corpus DIR] [-prune] [-rebuild]     build or update the index
  bot eval -corpus DIR -questions FILE [-data DIR] [-k N] [-json] [-v]
                                                              measure answer quality and speed
  bot serve [-http ADDR] [-metrics ADDR] [-mentions]          run the Discord bot
  bot health [-addr ADDR]                                     check a running bot's /healthz
  bot config                                                  print the effective settings (secrets masked)

Every command also takes -config FILE, a TOML file of settings (default $NEWSBOT_CONFIG).
Run "bot COMMAND -h" for a command's flags. Settings are listed in docs/deploy.md.
`

// run is the whole program: main only wires it to the process. Its error,
// which main prints, has its secrets masked.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	defer func() { err = c.mask(err) }()
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[1], args[2:]
	c.cmd = cmd
	switch cmd {
	case "index":
		return c.index(ctx, rest)
	case "source":
		return c.source(ctx, rest)
	case "ask":
		return c.ask(ctx, rest)
	case "eval":
		return c.eval(ctx, rest)
	case "serve":
		return c.serve(ctx, rest)
	case "health":
		return c.health(ctx, rest)
	case "config":
		return c.printConfig(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}
