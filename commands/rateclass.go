package commands

// rateClass is the per-user rate class (see rateOf) that a use of the
// conversation features counts against, so that each goes through the
// existing fair-use limits rather than none: Share and Stop count as
// presses of an answer's buttons, the suggestions of autocomplete as uses
// of /articles, the cheap command they serve. "Check against the
// articles" costs an answer and goes through /ask's cooldown and answer
// slots instead (see handleCheck).
func rateClass(class string) string {
	switch class {
	case idShare + ":buttons", idStop + ":buttons":
		return "ask:buttons"
	case "autocomplete":
		return "articles"
	}
	return class
}
