// Package words holds the few text primitives that persona parsing and copy
// checking share: whether a string is Chinese, where an English word stands
// as a whole word, stripping control characters and cutting text to a budget
// of runes. Both read mixed
// Chinese and English text, and both must agree on what a word is, so the
// rules live here once.
package words

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// HasHan reports whether s contains a Han character.
func HasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// IsWordByte reports whether b is an ASCII letter, digit or underscore: a
// byte that continues an English word, so a match next to it is only part of
// a word.
func IsWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// Index returns the byte offset of the first occurrence of w in text that
// stands as a whole word (no word byte on either side), or -1. Matching is
// exact, so callers lower-case both sides first.
func Index(text, w string) int {
	for from := 0; ; {
		i := strings.Index(text[from:], w)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(w)
		if (i == 0 || !IsWordByte(text[i-1])) && (end == len(text) || !IsWordByte(text[end])) {
			return i
		}
		from = i + 1
	}
}

// Contains reports whether text contains w as a whole word (see Index).
func Contains(text, w string) bool { return Index(text, w) >= 0 }

// StripControl returns s as valid UTF-8 without control characters, except
// newline and tab: what may go from untrusted text into prompts and logs.
func StripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// Truncate returns s cut to at most n runes.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
