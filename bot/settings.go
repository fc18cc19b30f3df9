package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/newsbot/newsbot/bot/config"
)

// addConfigFlag adds -config, the TOML file of settings, to a command.
func addConfigFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "TOML file of settings (default $NEWSBOT_CONFIG)")
}

// configure reads the configuration every command works from: the flags
// set on fs that are settings (-data, -corpus, -http, -metrics, ...), then
// the environment, then the file named by file or $NEWSBOT_CONFIG, then the
// defaults. It also builds the command's logger. Mistakes in any of them
// are usage errors that name the setting. Command-line tools log warnings
// and errors only, unless log.level is set; "serve" logs from info up.
func (c *cli) configure(fs *flag.FlagSet, file string, serving bool) error {
	settingFlags := map[string]bool{}
	for _, s := range config.Settings {
		if s.Flag != "" {
			settingFlags[s.Flag] = true
		}
	}
	flags := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if settingFlags[f.Name] {
			flags[f.Name] = f.Value.String()
		}
	})
	if file == "" {
		var err error
		if file, err = config.FileFromEnv(c.getenv); err != nil {
			return usageError{err.Error()}
		}
	}
	cfg, err := config.Load(flags, c.getenv, file)
	if err != nil {
		return usageError{err.Error()}
	}
	c.cfg = cfg
	c.log = newLogger(cfg, c.stderr, serving)
	return nil
}

// newLogger builds the one logger of a run from log.format and log.level:
// text on a terminal and JSON otherwise when the format is "auto". Secrets
// (the values of secret settings, their parts, the credentials of any URL)
// are masked in every message and attribute, so that an error that quotes
// one (a URL with a key in it) doesn't leak it.
func newLogger(cfg *config.Config, w io.Writer, serving bool) *slog.Logger {
	level := slog.LevelInfo
	if !serving && cfg.SourceOf(&cfg.Log.Level) == config.FromDefault {
		level = slog.LevelWarn
	} else {
		_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated by config
	}
	m := cfg.Masker()
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		var s string
		switch a.Value.Kind() {
		case slog.KindString:
			s = a.Value.String()
		case slog.KindAny:
			switch v := a.Value.Any().(type) {
			case error:
				s = v.Error()
			case fmt.Stringer: // a *url.URL
				s = v.String()
			default:
				return a
			}
		default:
			return a
		}
		if masked := m.Mask(s); masked != s {
			a.Value = slog.StringValue(masked)
		}
		return a
	}}
	format := strings.ToLower(cfg.Log.Format)
	if format == "auto" || format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// printConfig is "bot config": print the effective configuration, where
// each value came from, with secrets masked.
func (c *cli) printConfig(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	file := addConfigFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: bot config [-config FILE]\n\nPrints every setting, its value and where it came from (flag, environment,\nfile or default). Secrets are masked.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("config takes no arguments, got %q", fs.Args())}
	}
	if err := c.configure(fs, *file, false); err != nil {
		return err
	}
	c.cfg.Print(c.stdout)
	return nil
}
