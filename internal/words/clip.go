package words

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clip returns s cut to at most n runes, always on a rune and, when one is
// near, on a word or punctuation boundary: after a sentence or clause mark
// (。，！？；.,!?;) or before a space, so neither a character nor an English
// word is cut in half. Text already within n runes is returned unchanged;
// invalid UTF-8 is dropped first, so the result is always valid.
func Clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	cut := n
	// Look back over the last third for a boundary; a cut that loses more
	// than that is worse than a cut between two Han characters.
	for i := n; i > n-n/3-1 && i > 0; i-- {
		prev, next := rs[i-1], rs[i]
		if strings.ContainsRune("。，！？；、.,!?;:：)）】」", prev) || unicode.IsSpace(next) || unicode.IsSpace(prev) {
			cut = i
			break
		}
	}
	if cut == n && !isHanRune(rs[n-1]) && !isHanRune(rs[n]) && isWordRune(rs[n-1]) && isWordRune(rs[n]) {
		// no boundary near: back off to the start of the word being cut
		for k := n - 1; k > 0; k-- {
			if !isWordRune(rs[k-1]) {
				cut = k
				break
			}
		}
	}
	return strings.TrimRightFunc(string(rs[:cut]), unicode.IsSpace)
}

func isHanRune(r rune) bool { return unicode.Is(unicode.Han, r) }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
