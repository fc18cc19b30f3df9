package answer

import (
	"context"
	"strings"
	"testing"

	"github.com/newsbot/newsbot/prompts"
)

// TestCheckSupport checks answers written from the context of the
// inspections question over the seed articles: [1] is the Press TV
// passage on inspections, [2] the next one of the same article, on the
// House vote, Jalali and Trump.
func TestCheckSupport(t *testing.T) {
	ix := seedIndex(t, nil)
	eng, err := New(ix, Config{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: inspections}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Context) != 2 || res.Context[0].ID != "000_e22c96a855d117b2#1" || res.Context[1].ID != "000_e22c96a855d117b2#2" {
		t.Fatalf("context changed; the cases below assume #1 and #2 of the Press TV article: %v", ids(res.Context))
	}
	tests := []struct {
		name                 string
		text, want           string
		recited, unsupported int
	}{
		{
			name: "supported",
			text: "Press TV says Iran will never allow inspection of its military sites [1].",
			want: "Press TV says Iran will never allow inspection of its military sites [1].",
		},
		{
			name:    "a sentence citing the wrong passage is cited to the right one",
			text:    "Press TV says inspections of military sites are ruled out [1]. The US House voted for new sanctions with 423 votes in favor [1].",
			want:    "Press TV says inspections of military sites are ruled out [1]. The US House voted for new sanctions with 423 votes in favor [2].",
			recited: 1,
		},
		{
			name:    "marks inside the sentence are replaced by one",
			text:    "The House [1] voted 423 to two for sanctions against Iran's ballistic missile program [1].",
			want:    "The House voted 423 to two for sanctions against Iran's ballistic missile program [2].",
			recited: 1,
		},
		{
			name:        "a number no passage holds is flagged",
			text:        "Press TV says Iran will never allow inspection of its 40 military sites [1].",
			want:        "Press TV says Iran will never allow inspection of its 40 military sites [1].",
			unsupported: 1,
		},
		{
			name:        "a name no passage holds is flagged",
			text:        "Press TV says Rouhani will never allow inspection of military sites [1].",
			want:        "Press TV says Rouhani will never allow inspection of military sites [1].",
			unsupported: 1,
		},
		{
			name:        "content from nowhere is flagged",
			text:        "Press TV says the weather in the capital turned cold and wet over the weekend [1].",
			want:        "Press TV says the weather in the capital turned cold and wet over the weekend [1].",
			unsupported: 1,
		},
		{
			name: "a name from earlier in the same article supports a later passage",
			text: "After Pourdastan spoke, Jalali said the defense sector is fully ready to nip any threat in the bud [2].",
			want: "After Pourdastan spoke, Jalali said the defense sector is fully ready to nip any threat in the bud [2].",
		},
		{
			name: "several citations support together",
			text: "Press TV reports inspections of military sites are ruled out and the House voted 423 to two for sanctions [1][2].",
			want: "Press TV reports inspections of military sites are ruled out and the House voted 423 to two for sanctions [1][2].",
		},
		{
			name:    "a sentence needing one more passage gets its citation",
			text:    "The act passed with 423 votes in favor and 2 against, and the missiles were shown on July 22, 2017 [2]. Iran's stance was defined, Pourdastan said [1].",
			want:    "The act passed with 423 votes in favor and 2 against, and the missiles were shown on July 22, 2017 [1][2]. Iran's stance was defined, Pourdastan said [1].",
			recited: 1,
		},
		{
			name: "numbers written out or with separators",
			text: "The act passed with 2 votes against and 423 in favor [2]. The missiles were shown on 22 July 2017 [1].",
			want: "The act passed with 2 votes against and 423 in favor [2]. The missiles were shown on 22 July 2017 [1].",
		},
		{
			name: "a short sentence is checked for names only",
			text: "He said so [1].",
			want: "He said so [1].",
		},
		{
			name: "an answer in another language is checked for numbers only",
			text: "به گزارش پرس تی وی، ایران اجازه بازرسی از سایت\u200cهای نظامی خود را نمی\u200cدهد [1]. مجلس نمایندگان با ۴۲۳ رای تحریم\u200cها را تصویب کرد [2].",
			want: "به گزارش پرس تی وی، ایران اجازه بازرسی از سایت\u200cهای نظامی خود را نمی\u200cدهد [1]. مجلس نمایندگان با ۴۲۳ رای تحریم\u200cها را تصویب کرد [2].",
		},
		{
			name:        "a wrong number in another language is flagged",
			text:        "مجلس نمایندگان با ۵۰۰ رای تحریم\u200cها را تصویب کرد [2].",
			want:        "مجلس نمایندگان با ۵۰۰ رای تحریم\u200cها را تصویب کرد [2].",
			unsupported: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := eng.checkSupport(tc.text, res.Context)
			if got.text != tc.want || got.recited != tc.recited || got.unsupported != tc.unsupported {
				t.Errorf("checkSupport(%q)\n = %q, recited %d, unsupported %d\nwant %q, recited %d, unsupported %d",
					tc.text, got.text, got.recited, got.unsupported, tc.want, tc.recited, tc.unsupported)
			}
		})
	}
}

func FuzzCheckSupport(f *testing.F) {
	ix := seedIndex(f, nil)
	eng, err := New(ix, Config{})
	if err != nil {
		f.Fatal(err)
	}
	res, err := eng.Answer(context.Background(), Question{Text: inspections}, nil)
	if err != nil || len(res.Context) == 0 {
		f.Fatalf("no context: %v", err)
	}
	f.Add("Press TV says inspections of military sites are ruled out [1]. The US House voted 423 to two [1].")
	f.Add("The House [1] voted [2] 423 [1][2]. NOT_IN_ARTICLES")
	f.Add("مجلس با ۵۰۰ رای [2]. U.S. [1] 1,000.5 [3]")
	f.Add("NOT_IN_NOT_IN_ARTICLESARTICLES. The passages don't say [9].")
	f.Fuzz(func(t *testing.T, reply string) {
		c := ParseCitations(dropSentinel(reply), len(res.Context))
		got := eng.checkSupport(c.Text, res.Context)
		after := ParseCitations(got.text, len(res.Context))
		if len(after.Invalid) > 0 {
			t.Fatalf("checkSupport(%q) = %q cites passages that don't exist: %v", c.Text, got.text, after.Invalid)
		}
		if got.recited == 0 && got.text != c.Text {
			t.Fatalf("checkSupport(%q) changed the text to %q without re-citing", c.Text, got.text)
		}
		if strings.Contains(dropSentinel(reply), prompts.NotCovered) {
			t.Fatalf("dropSentinel(%q) left the sentinel", reply)
		}
		refusesInWords(reply, len(res.Context))
		streamable(reply)
	})
}
