// Package pgtest starts a real PostgreSQL server for tests: a fresh cluster
// in a temporary folder (initdb), on a free loopback port (pg_ctl), stopped
// when the test ends. Several connections, LISTEN/NOTIFY and advisory locks
// are real there, which is what tests of state shared between replicas
// need. It uses the PostgreSQL binaries Debian installs
// (/usr/lib/postgresql/N/bin, or $NEWSBOT_PG_BIN); PostgreSQL refuses to
// run as root, so a test running as root runs the server as the postgres
// user.
//
// Without PostgreSQL the test is skipped, except under CI=true, where it
// fails: CI installs the server and must run these tests.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running PostgreSQL cluster.
type Server struct {
	// DSN connects as the superuser postgres, without a password, to the
	// database postgres.
	DSN  string
	Port int

	bin, data, runAs string
}

// Start starts a cluster for t and stops it in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		unavailable(t, err)
	}
	dir, err := os.MkdirTemp("", "newsbot-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{bin: bin, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.runAs = "postgres"
	}
	if out, err := s.run("initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// A few tries: another test may take the port between Listen and start.
	for attempt := 0; ; attempt++ {
		s.Port, err = freePort()
		if err != nil {
			t.Fatal(err)
		}
		opts := fmt.Sprintf("-p %d -k %s -h 127.0.0.1 -c fsync=off -c max_connections=50", s.Port, dir)
		out, err := s.run("pg_ctl", "-D", s.data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
		if err == nil {
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
	}
	t.Cleanup(func() { s.run("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop") })
	s.DSN = fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", s.Port)
	return s
}

// Stop stops the server (a test of an outage); Restart starts it again on
// the same port.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if out, err := s.run("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Restart starts a stopped server again on its port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -h 127.0.0.1 -c fsync=off -c max_connections=50", s.Port, filepath.Dir(s.data))
	if out, err := s.run("pg_ctl", "-D", s.data, "-o", opts, "-l", filepath.Join(filepath.Dir(s.data), "log"), "-w", "-t", "60", "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// run runs a PostgreSQL program, as the postgres user when we are root.
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := filepath.Join(s.bin, prog)
	if s.runAs != "" {
		args = append([]string{"-u", s.runAs, "--", name}, args...)
		name = "runuser"
	}
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

// findBin returns the folder of the PostgreSQL server programs.
func findBin() (string, error) {
	if dir := os.Getenv("NEWSBOT_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server programs in /usr/lib/postgresql/*/bin (apt-get install postgresql, or set NEWSBOT_PG_BIN)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if strings.EqualFold(os.Getenv("CI"), "true") {
		t.Fatalf("PostgreSQL is needed under CI=true: %v", err)
	}
	t.Skipf("PostgreSQL unavailable: %v", err)
}
