package text

// IsVariant reports whether two index terms are spelling or derivation
// variants that stemming leaves apart ("syria" and "syrian", "advis" and
// "advisor", "diplomaci" and "diplomat"): they share their first five
// letters and at least 70% of the longer of the two, so that "state" and
// "statement" are not. Coverage counts a variant at part of a match, and
// the reader's overlap with the same rule.
func IsVariant(a, b string) bool {
	if len(a) < VariantPrefix || len(b) < VariantPrefix || a == b {
		return false
	}
	common := 0
	for common < len(a) && common < len(b) && a[common] == b[common] {
		common++
	}
	return common >= VariantPrefix && float64(common) >= 0.7*float64(max(len(a), len(b)))
}

// VariantPrefix is how many leading letters variants share at least: a
// caller holding sorted terms looks for variants of t among those with
// t[:VariantPrefix] as prefix.
const VariantPrefix = 5
