package words

import "testing"

func TestHasHan(t *testing.T) {
	for s, want := range map[string]bool{"": false, "hello": false, "5000万像素": true, "Sony 索尼": true, "ｈｅｌｌｏ，": false} {
		if got := HasHan(s); got != want {
			t.Errorf("HasHan(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIndexWholeWords(t *testing.T) {
	for _, tc := range []struct {
		text, w string
		want    int
	}{
		{"she hikes", "he", -1},          // inside "she" only
		{"she and he", "he", 8},          // the later whole word
		{"outdoors", "outdoor", -1},      // a prefix is not the word
		{"the man_cave", "man", -1},      // underscore continues a word
		{"a 45-year-old man", "man", 14}, // hyphen and space end a word
		{"喜欢拍照 camera", "camera", 13},    // Han text around an English word
		{"camera", "camera", 0},
		{"", "x", -1},
	} {
		if got := Index(tc.text, tc.w); got != tc.want {
			t.Errorf("Index(%q, %q) = %d, want %d", tc.text, tc.w, got, tc.want)
		}
		if got := Contains(tc.text, tc.w); got != (tc.want >= 0) {
			t.Errorf("Contains(%q, %q) = %v", tc.text, tc.w, got)
		}
	}
}

func TestTruncateCountsRunes(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"喜欢拍照", 2, "喜欢"},
		{"喜欢拍照", 4, "喜欢拍照"},
		{"abc", 5, "abc"},
		{"abc", 0, ""},
	} {
		if got := Truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestStripControl(t *testing.T) {
	for in, want := range map[string]string{
		"25岁\x00,女性\x1b[31m": "25岁,女性[31m", // NUL and ESC go
		"line\nnext\tcell":   "line\nnext\tcell",
		"bad \xff\xfe utf-8": "bad  utf-8",
		"\u0085next line":    "next line", // C1 control
	} {
		if got := StripControl(in); got != want {
			t.Errorf("StripControl(%q) = %q, want %q", in, got, want)
		}
	}
}
