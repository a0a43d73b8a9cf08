package words

import (
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"短句", 10, "短句"},
		{"¥150 off orders over ¥999", 6, "¥150"},
		{"hello wonderful world", 12, "hello"},
		{"续航一整天，拍照清晰，屏幕很大", 8, "续航一整天，"},
		{"一二三四五六七八九十", 4, "一二三四"},
		{"abc\xffdef", 4, "abcd"},
		{"anything", 0, ""},
	} {
		got := Clip(c.in, c.n)
		if got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func FuzzClip(f *testing.F) {
	f.Add("¥150 off orders over ¥999", 6)
	f.Add("续航一整天，拍照清晰", 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 400
		got := Clip(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
		if utf8.RuneCountInString(got) > max(n, 0) {
			t.Fatalf("Clip(%q, %d) = %q: longer than %d runes", s, n, got, n)
		}
	})
}
