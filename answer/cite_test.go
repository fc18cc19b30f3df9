package answer

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestParseCitations(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		n           int
		want        string
		order       []int
		invalid     []int
		unsupported int
		uncited     int
	}{
		{
			name:  "valid answer",
			text:  "Pourdastan said Iran's missile might is not negotiable, according to Press TV [1]. Jazayeri said defence work will continue, Tasnim reported [2].",
			n:     3,
			want:  "Pourdastan said Iran's missile might is not negotiable, according to Press TV [1]. Jazayeri said defence work will continue, Tasnim reported [2].",
			order: []int{1, 2},
		},
		{
			name:        "mark pointing at a missing passage",
			text:        "Press TV said the sanctions passed [7]. Tasnim said work goes on [2].",
			n:           3,
			want:        "Press TV said the sanctions passed. Tasnim said work goes on [2].",
			order:       []int{2},
			invalid:     []int{7},
			unsupported: 1,
		},
		{
			name:    "invalid mark next to a valid one keeps the sentence supported",
			text:    "Press TV said so [7][1].",
			n:       3,
			want:    "Press TV said so [1].",
			order:   []int{1},
			invalid: []int{7},
		},
		{
			name:        "zero is not a passage",
			text:        "It was said [0].",
			n:           3,
			want:        "It was said.",
			invalid:     []int{0},
			unsupported: 1,
		},
		{
			name:    "no citations",
			text:    "Iran will not negotiate on missiles. The House voted for sanctions!",
			n:       3,
			want:    "Iran will not negotiate on missiles. The House voted for sanctions!",
			uncited: 2,
		},
		{
			name:  "repeated adjacent marks collapse",
			text:  "Press TV said so [1][1]. Tasnim agreed [2] [2] [1].",
			n:     2,
			want:  "Press TV said so [1]. Tasnim agreed [2][1].",
			order: []int{1, 2},
		},
		{
			name:  "lists split into single marks",
			text:  "Both outlets said so [1, 2]. Also [2,3] and [3; 1].",
			n:     3,
			want:  "Both outlets said so [1][2]. Also [2][3] and [3][1].",
			order: []int{1, 2, 3},
		},
		{
			name:  "ranges",
			text:  "Several reports agree [2-4]. Others too [5–6].",
			n:     6,
			want:  "Several reports agree [2][3][4]. Others too [5][6].",
			order: []int{2, 3, 4, 5, 6},
		},
		{
			name:    "range partly out of bounds",
			text:    "Reports agree [2-4].",
			n:       3,
			want:    "Reports agree [2][3].",
			order:   []int{2, 3},
			invalid: []int{4},
		},
		{
			name:  "range too wide or backwards is not a mark",
			text:  "The war [1990-2020] and [5-3] [1].",
			n:     9,
			want:  "The war [1990-2020] and [5-3] [1].",
			order: []int{1},
		},
		{
			name:  "full-width brackets and digits",
			text:  "伊朗表示不会谈判【1】。美国众议院投票【２，3】。",
			n:     3,
			want:  "伊朗表示不会谈判[1]。美国众议院投票[2][3]。",
			order: []int{1, 2, 3},
		},
		{
			name:  "Persian digits",
			text:  "به گزارش تسنیم [۲].",
			n:     3,
			want:  "به گزارش تسنیم [2].",
			order: []int{2},
		},
		{
			name:  "footnote and labelled marks",
			text:  "Press TV said so [^2]. Tasnim said so [Passage 1]. Both did [SOURCES 1, 3]. Again [passage: 3]. And [Passage 1, Passage 2].",
			n:     3,
			want:  "Press TV said so [2]. Tasnim said so [1]. Both did [1][3]. Again [3]. And [1][2].",
			order: []int{2, 1, 3},
		},
		{
			name:    "bracketed words and links are untouched",
			text:    "“Our missile might is among the [country’s] capabilities” [sic], Pourdastan said [1]. See [3](https://presstv.ir) and (2).",
			n:       3,
			want:    "“Our missile might is among the [country’s] capabilities” [sic], Pourdastan said [1]. See [3](https://presstv.ir) and (2).",
			order:   []int{1},
			uncited: 1,
		},
		{
			name:  "years are not marks",
			text:  "The deal [2015] was signed [1].",
			n:     3,
			want:  "The deal [2015] was signed [1].",
			order: []int{1},
		},
		{
			name:  "citation after the full stop belongs to the sentence",
			text:  "Press TV said the country will not negotiate. [2] Tasnim said work continues.[1]",
			n:     2,
			want:  "Press TV said the country will not negotiate. [2] Tasnim said work continues.[1]",
			order: []int{2, 1},
		},
		{
			name:        "invalid mark after the full stop",
			text:        "Press TV said so. [9] Tasnim agreed [1].",
			n:           2,
			want:        "Press TV said so. Tasnim agreed [1].",
			order:       []int{1},
			invalid:     []int{9},
			unsupported: 1,
		},
		{
			name:  "abbreviations don't split sentences",
			text:  "Brig. Gen. Jazayeri told the U.S. to stay away, Tasnim said [1]. Dr. Smith disagreed, approx. five times [2].",
			n:     2,
			want:  "Brig. Gen. Jazayeri told the U.S. to stay away, Tasnim said [1]. Dr. Smith disagreed, approx. five times [2].",
			order: []int{1, 2},
		},
		{
			name:    "headings and lead-ins are not sentences",
			text:    "# Summary\n**What they said**\nAccording to the articles:\n- Press TV said so [1].\n- Tasnim said so.",
			n:       1,
			want:    "# Summary\n**What they said**\nAccording to the articles:\n- Press TV said so [1].\n- Tasnim said so.",
			order:   []int{1},
			uncited: 1,
		},
		{
			name:  "mark alone on the next line",
			text:  "Press TV said so.\n[1]",
			n:     1,
			want:  "Press TV said so.\n[1]",
			order: []int{1},
		},
		{
			name:        "whitespace tidied around removed marks",
			text:        "[8] Press TV said [9] so [7], and Tasnim[9]agreed ([9] reportedly). Done. [9]. End [1]",
			n:           1,
			want:        "Press TV said so, and Tasnim agreed (reportedly). Done. End [1]",
			order:       []int{1},
			invalid:     []int{8, 9, 7},
			unsupported: 2,
		},
		{
			name:        "brackets left empty go with the mark",
			text:        "Press TV said so ([7]). Tasnim agreed ( [8] ) today [1].\n[9]. Next line [1].",
			n:           1,
			want:        "Press TV said so. Tasnim agreed today [1].\nNext line [1].",
			order:       []int{1},
			invalid:     []int{7, 8, 9},
			unsupported: 1,
		},
		{
			name:        "a quoted no ends a sentence, No. 5 does not",
			text:        "He said “no.” [7] Resolution No. 5 passed [1].",
			n:           1,
			want:        "He said “no.” Resolution No. 5 passed [1].",
			order:       []int{1},
			invalid:     []int{7},
			unsupported: 1,
		},
		{
			name:        "removing a mark reveals another",
			text:        "Odd [[7]1] text.",
			n:           2,
			want:        "Odd [1] text.",
			order:       []int{1},
			invalid:     []int{7},
			unsupported: 1,
		},
		{
			name:        "deeply nested marks",
			text:        "Odd " + nested(100) + " text.",
			n:           2,
			want:        "Odd [1] text.",
			order:       []int{1},
			invalid:     []int{7},
			unsupported: 1,
		},
		{
			name: "empty",
			text: "  ",
			n:    3,
			want: "",
		},
		{
			name:        "no passages at all",
			text:        "Said so [1].",
			n:           0,
			want:        "Said so.",
			invalid:     []int{1},
			unsupported: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseCitations(tt.text, tt.n)
			if got.Text != tt.want {
				t.Errorf("Text:\n got %q\nwant %q", got.Text, tt.want)
			}
			if !slices.Equal(got.Order, tt.order) {
				t.Errorf("Order = %v, want %v", got.Order, tt.order)
			}
			if !slices.Equal(got.Invalid, tt.invalid) {
				t.Errorf("Invalid = %v, want %v", got.Invalid, tt.invalid)
			}
			if got.Unsupported != tt.unsupported || got.Uncited != tt.uncited {
				t.Errorf("Unsupported, Uncited = %d, %d, want %d, %d", got.Unsupported, got.Uncited, tt.unsupported, tt.uncited)
			}
			checkCitationInvariants(t, tt.text, tt.n, got)
		})
	}
}

// nested returns "[[7]1]" nested depth times: "[[[7]7]1]" for depth 2.
// Each removal of an invalid [7] uncovers the next.
func nested(depth int) string {
	x := "[7]"
	for range depth - 1 {
		x = "[" + x + "7]"
	}
	return "[" + x + "1]"
}

func TestRenumber(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		order []int
		want  string
	}{
		{"in order of first citation", "Tasnim said so [3]. Press TV agreed [1][3].", []int{3, 1}, "Tasnim said so [1]. Press TV agreed [2][1]."},
		{"already numbered", "A [1]. B [2].", []int{1, 2}, "A [1]. B [2]."},
		{"swap is simultaneous", "A [2]. B [1].", []int{2, 1}, "A [1]. B [2]."},
		{"mark not in order is removed", "A [5]. B [4].", []int{4}, "A. B [1]."},
		{"repeats in order are ignored", "A [9] [7].", []int{9, 9, 7}, "A [1][2]."},
		{"unnormalised marks", "A [Passage 7, 9].", []int{7, 9}, "A [1][2]."},
		{"bracketed words untouched", "the [country’s] might [4].", []int{4}, "the [country’s] might [1]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Renumber(tt.text, tt.order); got != tt.want {
				t.Errorf("Renumber(%q, %v) = %q, want %q", tt.text, tt.order, got, tt.want)
			}
		})
	}
}

func TestParseThenRenumber(t *testing.T) {
	c := ParseCitations("Tasnim said so [4]. Press TV said so [2, 4]. Nobody said [12].", 5)
	got := Renumber(c.Text, c.Order)
	want := "Tasnim said so [1]. Press TV said so [2][1]. Nobody said."
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !slices.Equal(c.Order, []int{4, 2}) {
		t.Errorf("Order = %v, want [4 2]", c.Order)
	}
}

// checkCitationInvariants checks what must hold for any input: valid UTF-8
// stays valid, Order and the marks left in Text are within 1..n, parsing
// Text again changes nothing, and renumbering numbers the marks 1..k.
func checkCitationInvariants(t *testing.T, text string, n int, c Citations) {
	t.Helper()
	if utf8.ValidString(text) && !utf8.ValidString(c.Text) {
		t.Fatalf("valid UTF-8 %q gave invalid %q", text, c.Text)
	}
	seen := make(map[int]bool)
	for _, p := range c.Order {
		if p < 1 || p > n {
			t.Fatalf("Order %v has %d outside 1..%d", c.Order, p, n)
		}
		if seen[p] {
			t.Fatalf("Order %v repeats %d", c.Order, p)
		}
		seen[p] = true
	}
	for _, g := range scanGroups(c.Text) {
		for _, p := range g.nums {
			if p < 1 || p > n {
				t.Fatalf("Text %q still cites %d, outside 1..%d", c.Text, p, n)
			}
		}
	}
	again := ParseCitations(c.Text, n)
	if again.Text != c.Text || !slices.Equal(again.Order, c.Order) || len(again.Invalid) != 0 {
		t.Fatalf("not idempotent:\n first %q order %v\nsecond %q order %v invalid %v", c.Text, c.Order, again.Text, again.Order, again.Invalid)
	}
	renumbered := Renumber(c.Text, c.Order)
	r := ParseCitations(renumbered, len(c.Order))
	for i, p := range r.Order {
		if p != i+1 {
			t.Fatalf("Renumber(%q, %v) = %q, whose order is %v, want 1..%d", c.Text, c.Order, renumbered, r.Order, len(c.Order))
		}
	}
	if len(r.Invalid) != 0 || len(r.Order) != len(c.Order) {
		t.Fatalf("Renumber(%q, %v) = %q: order %v, invalid %v", c.Text, c.Order, renumbered, r.Order, r.Invalid)
	}
}

func FuzzParseCitations(f *testing.F) {
	// More seeds are committed under testdata/fuzz/FuzzParseCitations.
	f.Add("Press TV said so [1]. Tasnim agreed [2, 3].", 3)
	f.Add("Bad mark [7]. [Passage 2] 【1】 [^3] [2-4]", 3)
	f.Add("the [country’s] might [sic] [3](https://x) (2)", 2)
	f.Add("[[7]1] [1 [7]] ([9] x) a[9]b. [9]. ", 1)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, text string, n int) {
		if n < -1 || n > 1000 {
			n %= 1000
		}
		c := ParseCitations(text, n)
		checkCitationInvariants(t, text, n, c)
	})
}
