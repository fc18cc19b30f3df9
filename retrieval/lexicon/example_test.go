package lexicon_test

import (
	"fmt"

	"github.com/newsbot/newsbot/retrieval/lexicon"
)

func Example() {
	lex := lexicon.New()
	base, _ := lex.Base("won")
	fmt.Println(base)
	fmt.Println(lex.Family("presidential"))
	for _, s := range lex.Synonyms("fire")[:3] {
		fmt.Printf("%s %.2f\n", s.Word, s.Weight)
	}
	// Output:
	// win
	// [presidency president]
	// open fire 1.00
	// flame 0.58
	// flaming 0.58
}
