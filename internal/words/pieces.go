package words

import "strings"

// Pieces cuts text after punctuation or every 8 runes, as a token stream
// would: how checked text (copy, answers) is sent to a stream in parts.
func Pieces(s string) []string {
	var out []string
	var cur []rune
	for _, r := range s {
		cur = append(cur, r)
		if len(cur) >= 8 || strings.ContainsRune("，。！？；,.!?;\n", r) {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}
