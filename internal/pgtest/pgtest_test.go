package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStart starts a server, talks to it over two connections (a NOTIFY
// from one reaches a LISTEN on the other, which is what replicas rely on),
// and survives a stop and restart.
func TestStart(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	listener, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, "LISTEN newsbot_test"); err != nil {
		t.Fatal(err)
	}
	sender, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Exec(ctx, "SELECT pg_notify('newsbot_test', 'hello')"); err != nil {
		t.Fatal(err)
	}
	n, err := listener.WaitForNotification(ctx)
	if err != nil || n.Payload != "hello" {
		t.Fatalf("notification: %+v, %v", n, err)
	}
	sender.Close(ctx)

	s.Stop(t)
	if c, err := pgx.Connect(ctx, s.DSN); err == nil {
		c.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	s.Restart(t)
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	c.Close(ctx)
}
