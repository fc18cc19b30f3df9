package commands

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestInvitePermissions checks the permissions the invite asks for: the
// ones the bot uses, threads included (mentions come from threads), and
// that README and docs/deploy.md show that number in their invite URLs.
func TestInvitePermissions(t *testing.T) {
	t.Parallel()
	// View Channel, Send Messages, Embed Links, Read Message History,
	// Create Public Threads, Send Messages in Threads: 309237730304.
	const want int64 = 1<<10 | 1<<11 | 1<<14 | 1<<16 | 1<<35 | 1<<38
	if BotPermissions != want {
		t.Errorf("BotPermissions = %d, want %d", BotPermissions, want)
	}
	for _, p := range []int64{discordgo.PermissionViewChannel, discordgo.PermissionSendMessages,
		discordgo.PermissionSendMessagesInThreads, discordgo.PermissionCreatePublicThreads, discordgo.PermissionEmbedLinks, discordgo.PermissionReadMessageHistory} {
		if BotPermissions&p == 0 {
			t.Errorf("BotPermissions lacks %d", p)
		}
	}
	if BotPermissions&(discordgo.PermissionAdministrator|discordgo.PermissionManageMessages|discordgo.PermissionMentionEveryone) != 0 {
		t.Error("BotPermissions asks for more than the bot uses")
	}
	url := InviteURL("APP_ID")
	if !strings.Contains(url, "scope=bot%20applications.commands") || !strings.Contains(url, "permissions=309237730304") {
		t.Errorf("InviteURL = %s", url)
	}
	for _, doc := range []string{"README.md", "docs/deploy.md"} {
		b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(doc)))
		if err != nil {
			t.Fatal(err)
		}
		found := regexp.MustCompile(`permissions=(\d+)`).FindAllStringSubmatch(string(b), -1)
		if len(found) == 0 {
			t.Errorf("%s has no invite URL", doc)
		}
		for _, m := range found {
			if got, _ := strconv.ParseInt(m[1], 10, 64); got != BotPermissions {
				t.Errorf("%s invites with permissions=%s, want %d", doc, m[1], BotPermissions)
			}
		}
		if !strings.Contains(string(b), url) {
			t.Errorf("%s doesn't show the invite URL %s", doc, url)
		}
	}
}
