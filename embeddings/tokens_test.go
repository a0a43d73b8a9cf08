package embeddings

import (
	"slices"
	"strings"
	"testing"
)

func TestTokensChinese(t *testing.T) {
	got := Tokens("华为手机")
	want := []string{"华", "华为", "为", "为手", "手", "手机", "机"}
	if !slices.Equal(got, want) {
		t.Fatalf("Tokens(华为手机) = %q, want %q", got, want)
	}
	// A single Han character gives just its unigram; punctuation splits runs
	// so no bigram spans it.
	got = Tokens("裙，鞋")
	if !slices.Equal(got, []string{"裙", "鞋"}) {
		t.Fatalf("Tokens(裙，鞋) = %q", got)
	}
}

func TestTokensEnglishWordsAndSubwords(t *testing.T) {
	got := Tokens("Wireless PHONES")
	for _, w := range []string{"wireless", "phones", "#<ph", "#pho", "#hon", "#one", "#nes", "#es>", "#<wi", "#ss>"} {
		if !slices.Contains(got, w) {
			t.Errorf("Tokens(Wireless PHONES) lacks %q: %q", w, got)
		}
	}
	// Sub-words never collide with words: "one" the word vs "#one" the 3-gram.
	if slices.Contains(got, "one") {
		t.Errorf("sub-word leaked as a word: %q", got)
	}
	for _, tok := range got {
		if IsSubword(tok) != strings.HasPrefix(tok, "#") {
			t.Errorf("IsSubword(%q) wrong", tok)
		}
	}
	// Words under three letters have no sub-words.
	if got := Tokens("tv"); !slices.Equal(got, []string{"tv"}) {
		t.Errorf("Tokens(tv) = %q", got)
	}
	// phone and phones share most sub-words: the point of having them.
	a, b := subwordSet(Tokens("phone")), subwordSet(Tokens("phones"))
	shared := 0
	for s := range a {
		if b[s] {
			shared++
		}
	}
	if shared < 4 {
		t.Errorf("phone/phones share %d sub-words, want >= 4", shared)
	}
}

func subwordSet(toks []string) map[string]bool {
	m := map[string]bool{}
	for _, t := range toks {
		if IsSubword(t) {
			m[t] = true
		}
	}
	return m
}

func TestTokensNumbersAndUnits(t *testing.T) {
	cases := []struct {
		in   string
		want []string // must all be present
		not  []string // must be absent
	}{
		{"4400mAh", []string{"4400mah", "4400", "mah"}, nil},
		{"4400 mAh", []string{"4400mah", "4400", "mah"}, nil},
		{"6.6英寸超大屏", []string{"6.6", "6.6英寸", "英寸", "大屏"}, []string{"6", "6.6英"}},
		{"６．６英寸", []string{"6.6", "6.6英寸"}, nil},               // full-width folded
		{"5000毫安时电池", []string{"5000毫安时"}, []string{"5000毫安"}}, // longest unit wins
		{"500 ml", []string{"500ml"}, nil},
		{"iPhone15 Pro", []string{"iphone15", "iphone", "15", "pro", "#iph"}, nil},
		{"3 in 1", []string{"3", "in", "1"}, []string{"3in"}},       // "in" is not treated as a unit
		{"4400, mAh", []string{"4400", "mah"}, []string{"4400mah"}}, // punctuation breaks the pair
		{"USB-C Wi-Fi", []string{"usb", "c", "usbc", "wi", "fi", "wifi"}, []string{"cwi", "usbcwi"}},
		{"v1.5", []string{"v1.5", "v", "1.5"}, nil},
	}
	for _, c := range cases {
		got := Tokens(c.in)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("Tokens(%q) = %q, lacks %q", c.in, got, w)
			}
		}
		for _, w := range c.not {
			if slices.Contains(got, w) {
				t.Errorf("Tokens(%q) = %q, should not contain %q", c.in, got, w)
			}
		}
	}
}

func TestTokensEmptyAndMixed(t *testing.T) {
	for _, s := range []string{"", "   ", "!!!，。、", "\n\t"} {
		if got := Tokens(s); len(got) != 0 {
			t.Errorf("Tokens(%q) = %q, want none", s, got)
		}
	}
	got := Tokens("Apple苹果iPhone")
	for _, w := range []string{"apple", "苹果", "iphone"} {
		if !slices.Contains(got, w) {
			t.Errorf("Tokens(Apple苹果iPhone) = %q lacks %q", got, w)
		}
	}
	// Repeats are kept: BM25 needs term frequency.
	n := 0
	for _, tok := range Tokens("red red red") {
		if tok == "red" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("red counted %d times, want 3", n)
	}
}
