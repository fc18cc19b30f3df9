package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		n    int
		lo   time.Duration
		hi   time.Duration
	}{
		{"first", Policy{Base: time.Second, Max: 5 * time.Minute}, 1, time.Second, time.Second},
		{"doubles", Policy{Base: time.Second, Max: 5 * time.Minute}, 4, 8 * time.Second, 8 * time.Second},
		{"capped", Policy{Base: time.Second, Max: 5 * time.Minute}, 40, 5 * time.Minute, 5 * time.Minute},
		{"no cap", Policy{Base: time.Millisecond}, 11, 1024 * time.Millisecond, 1024 * time.Millisecond},
		{"jitter in the upper half", Policy{Base: 100 * time.Millisecond, Max: time.Second, Jitter: true}, 2, 100 * time.Millisecond, 200 * time.Millisecond},
		{"jitter capped", Policy{Base: 100 * time.Millisecond, Max: time.Second, Jitter: true}, 30, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				if got := tt.p.Delay(tt.n); got < tt.lo || got > tt.hi {
					t.Fatalf("Delay(%d) = %s, want within [%s, %s]", tt.n, got, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Error("Sleep did not end with its context")
	}
}
