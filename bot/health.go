package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthTimeout bounds "bot health" as a whole: a bot that cannot answer
// /healthz within it counts as unhealthy.
const healthTimeout = 3 * time.Second

// health is "bot health": it asks the running bot's metrics server for
// /healthz and fails unless the answer is 200 OK. Container images without
// a shell or curl (distroless) use it as their HEALTHCHECK; the exit status
// is 0 when healthy and 1 otherwise.
func (c *cli) health(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "", "metrics address of the running bot, as given to serve (default serve.metrics: $NEWSBOT_METRICS)")
	file := addConfigFlag(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("health takes no arguments, got %q", fs.Args())}
	}
	if err := c.configure(fs, *file, false); err != nil {
		return err
	}
	listen := firstNonEmpty(strings.TrimSpace(*addr), c.cfg.Serve.Metrics)
	if listen == "" {
		return errors.New("health: no metrics address (set NEWSBOT_METRICS)")
	}
	target, err := healthURL(listen)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	client := &http.Client{
		// The bot is on this machine: never go through a proxy from the
		// environment, and report a redirect rather than follow it.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("health: %s answered %s", target, resp.Status)
		if line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n"); line != "" {
			msg += ": " + line
		}
		return errors.New(msg)
	}
	fmt.Fprintf(c.stdout, "healthy: %s answered %s\n", target, resp.Status)
	return nil
}

// healthURL turns the address the metrics server listens on into the URL
// of its /healthz as seen from the same machine: a missing or unspecified
// host (":9090", "0.0.0.0:9090", "[::]:9090") becomes the loopback address
// of the same family; a named host or address is kept.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("metrics address %q: %w", listen, err)
	}
	if port == "" {
		return "", fmt.Errorf("metrics address %q: missing port", listen)
	}
	if host == "" {
		host = "127.0.0.1"
	} else if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
