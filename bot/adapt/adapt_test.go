package adapt

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/commands/seam"
	"github.com/newsbot/newsbot/internal/fetch"
	"github.com/newsbot/newsbot/internal/testkit"
	"github.com/newsbot/newsbot/retrieval"
)

// TestErrorsReachCommands: the errors commands branches on are recognised
// through the adapter, and the operator's cause stays in the chain.
func TestErrorsReachCommands(t *testing.T) {
	cause := errors.New("disk on fire")
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"running", fmt.Errorf("reindex: %w", retrieval.ErrReindexRunning), seam.ErrReindexRunning},
		{"empty corpus", fmt.Errorf("reindex /c: %w", retrieval.ErrEmptyCorpus), seam.ErrEmptyCorpus},
		{"other", fmt.Errorf("save: %w", cause), cause},
	}
	for _, tt := range tests {
		got := indexError(tt.err)
		if !errors.Is(got, tt.is) || got.Error() != tt.err.Error() {
			t.Errorf("%s: %v does not match %v with the same message", tt.name, got, tt.is)
		}
	}
	for reason := retrieval.RejectEmpty; reason <= retrieval.RejectOverLimit; reason++ {
		err := indexError(&retrieval.Rejection{Reason: reason, Line: 7, Name: "ingested/x.json", Limit: "10 widgets", Err: cause})
		var rj *seam.Rejection
		if !errors.As(err, &rj) || rj.Reason == 0 || rj.Line != 7 || rj.Name != "ingested/x.json" || rj.Limit != "10 widgets" || !errors.Is(err, cause) {
			t.Errorf("reason %d: %v (%+v)", reason, err, rj)
		}
	}
	if indexError(nil) != nil {
		t.Error("nil became an error")
	}
}

func TestFetchErrorsAreForTheUser(t *testing.T) {
	f := Fetcher{Fetcher: fetch.New(fetch.Config{})}
	_, err := f.Fetch(context.Background(), "http://127.0.0.1/admin")
	var fe *seam.FetchError
	if !errors.As(err, &fe) || fe.Message == "" || !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Errorf("fetching a loopback address: %v", err)
	}
}

// seedIndex indexes the seed articles.
func seedIndex(t *testing.T) *retrieval.Index {
	t.Helper()
	ix, err := retrieval.Open(retrieval.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Reindex(context.Background(), testkit.CopySeeds(t), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestSearchFilter: the filter commands passes reaches the index.
func TestSearchFilter(t *testing.T) {
	x := Index{Index: seedIndex(t)}
	all, err := x.Search(context.Background(), "missile", 10, seam.Filter{})
	if err != nil || len(all) < 2 {
		t.Fatalf("unfiltered: %d passages, %v", len(all), err)
	}
	one, err := x.Search(context.Background(), "missile", 10, seam.Filter{Source: "tasnim news agency"})
	if err != nil || len(one) == 0 {
		t.Fatalf("filtered: %d passages, %v", len(one), err)
	}
	for _, p := range one {
		if p.Source != "Tasnim News Agency" {
			t.Errorf("a passage of %q", p.Source)
		}
	}
	// The seed articles are undated: a date filter leaves none.
	if dated, _ := x.Search(context.Background(), "missile", 10, seam.Filter{After: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}); len(dated) != 0 {
		t.Errorf("%d undated passages kept by a date filter", len(dated))
	}
}

// TestCheck: a check's claims, passages and their numbers cross the seam.
func TestCheck(t *testing.T) {
	eng, err := answer.New(seedIndex(t), answer.Config{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Engine{Engine: eng}.Check(context.Background(), "Iran says it will never allow inspections of its military sites")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Claims) != 1 || len(got.Claims[0].Passages) == 0 || len(got.Passages) == 0 || got.Mode != answer.ModeExtractive {
		t.Fatalf("check = %+v", got)
	}
	if n := got.Claims[0].Passages[0]; got.Passages[n-1].N != n || got.Passages[n-1].ID == "" || got.Passages[n-1].Source == "" {
		t.Errorf("claim's passage %d = %+v", n, got.Passages[n-1])
	}
	if _, err := (Engine{Engine: eng}).Check(context.Background(), " "); err == nil {
		t.Error("a blank message was checked")
	}
}
