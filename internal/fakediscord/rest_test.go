package fakediscord

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestMentionViolations sends each kind of message payload and checks that
// exactly the ones without empty allowed mentions are flagged.
func TestMentionViolations(t *testing.T) {
	t.Parallel()
	defer1 := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	tests := []struct {
		name string
		send func(ds *discordgo.Session, i *discordgo.Interaction) error
		want string // substring of the reason; "" for no violation
	}{
		{"deferred response needs none", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			return ds.InteractionRespond(i, defer1)
		}, ""},
		{"deferred ephemeral response needs none", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			return ds.InteractionRespond(i, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
			})
		}, ""},
		{"edit without allowed mentions", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			if err := ds.InteractionRespond(i, defer1); err != nil {
				return err
			}
			_, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("hi @everyone")})
			return err
		}, "missing"},
		{"edit with empty parse", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			if err := ds.InteractionRespond(i, defer1); err != nil {
				return err
			}
			_, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("hi"), AllowedMentions: noMentions()})
			return err
		}, ""},
		{"edit parsing everyone", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			if err := ds.InteractionRespond(i, defer1); err != nil {
				return err
			}
			_, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("hi"),
				AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionTypeEveryone}}})
			return err
		}, "parse"},
		{"nil parse slice is null", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			return ds.InteractionRespond(i, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "hi", AllowedMentions: &discordgo.MessageAllowedMentions{}},
			})
		}, "parse"},
		{"embed-only response without allowed mentions", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			return ds.InteractionRespond(i, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{{Description: "x"}}},
			})
		}, "missing"},
		{"follow-up allowing a user", func(ds *discordgo.Session, i *discordgo.Interaction) error {
			if err := ds.InteractionRespond(i, defer1); err != nil {
				return err
			}
			_, err := ds.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "hi",
				AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Users: []string{"1"}}})
			return err
		}, "users"},
		{"channel message without allowed mentions", func(ds *discordgo.Session, _ *discordgo.Interaction) error {
			_, err := ds.ChannelMessageSend(ChannelID, "hi")
			return err
		}, "missing"},
		{"channel message edit with empty parse", func(ds *discordgo.Session, _ *discordgo.Interaction) error {
			m, err := ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{Content: "a", AllowedMentions: noMentions()})
			if err != nil {
				return err
			}
			_, err = ds.ChannelMessageEditComplex(&discordgo.MessageEdit{
				ID: m.ID, Channel: ChannelID, Content: ptr("b"), AllowedMentions: noMentions()})
			return err
		}, ""},
		{"multipart message without allowed mentions", func(ds *discordgo.Session, _ *discordgo.Interaction) error {
			_, err := ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{Content: "file",
				Files: []*discordgo.File{{Name: "a.txt", Reader: strings.NewReader("data")}}})
			return err
		}, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			ds := s.Session(testToken)
			i := CommandInteraction("ask", nil, UserSpec{})
			if err := tt.send(ds, i); err != nil {
				t.Fatalf("send: %v", err)
			}
			v := s.MentionViolations()
			switch {
			case tt.want == "" && len(v) > 0:
				t.Errorf("violations = %+v, want none", v)
			case tt.want != "" && len(v) != 1:
				t.Errorf("got %d violations %+v, want 1", len(v), v)
			case tt.want != "" && !strings.Contains(v[0].Reason, tt.want):
				t.Errorf("reason = %q, want it to mention %q", v[0].Reason, tt.want)
			}
		})
	}
}

// errorRecorder is a testing.TB that keeps Errorf messages instead of failing.
type errorRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestStrictMentions(t *testing.T) {
	t.Parallel()
	rec := &errorRecorder{TB: t}
	s := New(t, StrictMentions(rec))
	ds := s.Session(testToken)
	if _, err := ds.ChannelMessageSend(ChannelID, "hi"); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{Content: "ok", AllowedMentions: noMentions()}); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "allowed_mentions missing") {
		t.Errorf("Errorf calls = %q, want one about the missing allowed mentions", rec.errs)
	}
}

// TestAcknowledgementRules checks the interaction rules the fake enforces.
func TestAcknowledgementRules(t *testing.T) {
	t.Parallel()
	deferred := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}

	strict := New(t, AckDeadline(time.Millisecond))
	rawClient(t, strict)
	late := CommandInteraction("ask", nil, UserSpec{})
	if err := strict.DispatchInteraction(late); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := strict.Session(testToken).InteractionRespond(late, deferred); restCode(err) != 10062 {
		t.Errorf("late acknowledgement: err = %v, want 404 Unknown interaction (10062)", err)
	}

	s := New(t)
	rawClient(t, s)
	ds := s.Session(testToken)

	i := CommandInteraction("ask", nil, UserSpec{})
	if err := s.DispatchInteraction(i); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("x"), AllowedMentions: noMentions()}); restStatus(err) != http.StatusNotFound {
		t.Errorf("edit before acknowledging: err = %v, want 404", err)
	}
	if err := ds.InteractionRespond(i, deferred); err != nil {
		t.Fatalf("acknowledge: %v", err)
	}
	if err := ds.InteractionRespond(i, deferred); restCode(err) != 40060 {
		t.Errorf("second acknowledgement: err = %v, want 400 already acknowledged (40060)", err)
	}
	if m, ok := s.OriginalResponse(i.Token); !ok || m.Flags&discordgo.MessageFlagsLoading == 0 {
		t.Errorf("deferred original = %+v, %v; want a loading message", m, ok)
	}

	if _, err := ds.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: ptr("answer"), AllowedMentions: noMentions()}); err != nil {
		t.Fatalf("edit original: %v", err)
	}
	f, err := ds.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "more", AllowedMentions: noMentions()})
	if err != nil || f.ID == "" {
		t.Fatalf("follow-up = %+v, %v", f, err)
	}
	if _, err := ds.FollowupMessageEdit(i, f.ID, &discordgo.WebhookEdit{Content: ptr("edited"), AllowedMentions: noMentions()}); err != nil {
		t.Fatalf("edit follow-up: %v", err)
	}
	if fs := s.Followups(i.Token); len(fs) != 1 || fs[0].Content != "edited" || fs[0].EditedTimestamp == nil {
		t.Errorf("Followups = %+v, want the edited follow-up", fs)
	}
	if err := ds.FollowupMessageDelete(i, f.ID); err != nil {
		t.Fatalf("delete follow-up: %v", err)
	}
	if fs := s.Followups(i.Token); len(fs) != 0 {
		t.Errorf("Followups after delete = %+v", fs)
	}
	if err := ds.InteractionResponseDelete(i); err != nil {
		t.Fatalf("delete original: %v", err)
	}
	if _, ok := s.OriginalResponse(i.Token); ok {
		t.Error("original response still there after delete")
	}
	if lat, ok := s.AckLatency(i.ID); !ok || lat <= 0 {
		t.Errorf("AckLatency = %v, %v", lat, ok)
	}
}

func TestMessageLimits(t *testing.T) {
	t.Parallel()
	fields := func(n, valueLen int) []*discordgo.MessageEmbedField {
		var fs []*discordgo.MessageEmbedField
		for range n {
			fs = append(fs, &discordgo.MessageEmbedField{Name: "n", Value: strings.Repeat("v", valueLen)})
		}
		return fs
	}
	tests := []struct {
		name     string
		msg      *discordgo.MessageSend
		wantCode int // 0 for success
	}{
		{"2000 characters", &discordgo.MessageSend{Content: strings.Repeat("é", 2000)}, 0},
		{"2001 characters", &discordgo.MessageSend{Content: strings.Repeat("é", 2001)}, 50035},
		{"empty message", &discordgo.MessageSend{}, 50006},
		{"long description", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("d", 4097)}}}, 50035},
		{"26 fields", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: fields(26, 1)}}}, 50035},
		{"over 6000 in all embeds", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{
			{Description: strings.Repeat("d", 4000)}, {Description: strings.Repeat("d", 2001)}}}, 50035},
		{"11 embeds", &discordgo.MessageSend{Embeds: make([]*discordgo.MessageEmbed, 11)}, 50035},
		{"full but valid embed", &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{
			Title: "t", Description: strings.Repeat("d", 4096), Fields: fields(1, 1000)}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := New(t)
			ds := s.Session(testToken)
			for i, e := range tt.msg.Embeds {
				if e == nil {
					tt.msg.Embeds[i] = &discordgo.MessageEmbed{Description: "x"}
				}
			}
			tt.msg.AllowedMentions = noMentions()
			_, err := ds.ChannelMessageSendComplex(ChannelID, tt.msg)
			if got := restCode(err); got != tt.wantCode || (tt.wantCode == 0 && err != nil) {
				t.Errorf("err = %v (code %d), want code %d", err, got, tt.wantCode)
			}
		})
	}
}

// TestMultipartAndAttachments sends a file with a message, then downloads it
// and a registered attachment, directly and through the CDN host.
func TestMultipartAndAttachments(t *testing.T) {
	t.Parallel()
	s := New(t)
	ds := s.Session(testToken)
	m, err := ds.ChannelMessageSendComplex(ChannelID, &discordgo.MessageSend{
		Content:         "see file",
		AllowedMentions: noMentions(),
		Files:           []*discordgo.File{{Name: "notes.txt", ContentType: "text/plain", Reader: strings.NewReader("file body")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := s.WaitFor(testContext(t, time.Second), Match("POST", "/channels/"))
	if err != nil {
		t.Fatal(err)
	}
	if req.JSON["content"] != "see file" || len(req.Files) != 1 || req.Files[0].Name != "notes.txt" ||
		string(req.Files[0].Data) != "file body" || req.Files[0].Field != "files[0]" {
		t.Errorf("recorded multipart = JSON %v files %+v", req.JSON, req.Files)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "notes.txt" || m.Attachments[0].Size != 9 {
		t.Fatalf("message attachments = %+v", m.Attachments)
	}

	id, url := s.AddAttachment("article.html", []byte("<p>text</p>"))
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	cdn := s.HTTPClient()
	tests := []struct {
		name, url string
		client    *http.Client
		want      string
		status    int
	}{
		{"uploaded file", m.Attachments[0].URL, client, "file body", http.StatusOK},
		{"registered attachment", url, client, "<p>text</p>", http.StatusOK},
		{"through the CDN host", "https://cdn.discordapp.com/attachments/" + id + "/article.html", cdn, "<p>text</p>", http.StatusOK},
		{"unknown attachment", s.URL() + "/attachments/1/x.txt", client, "", http.StatusNotFound},
	}
	for _, tt := range tests {
		resp, err := tt.client.Get(tt.url)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.status == http.StatusOK && string(body) != tt.want) {
			t.Errorf("%s: %d %q, want %d %q", tt.name, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	if _, err := s.WaitFor(testContext(t, time.Second), func(r Request) bool { return r.Host == "cdn.discordapp.com" }); err != nil {
		t.Errorf("CDN request not recorded with its host: %v", err)
	}

	// The follow-up's edit can replace attachments: keeping none removes them.
	edited, err := ds.ChannelMessageEditComplex(&discordgo.MessageEdit{
		ID: m.ID, Channel: ChannelID, Attachments: &[]*discordgo.MessageAttachment{}, AllowedMentions: noMentions(),
	})
	if err != nil || len(edited.Attachments) != 0 {
		t.Errorf("edit removing attachments = %+v, %v", edited, err)
	}
	if !bytes.Equal(req.Body, s.Requests()[0].Body) {
		t.Error("Requests()[0] is not the multipart request")
	}
}
