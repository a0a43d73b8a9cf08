package embeddings

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SubwordPrefix starts every sub-word n-gram token, so that the n-gram "one"
// of "phone" never collides with the word "one" and a lexical index can
// recognise (and down-weight or drop) sub-words.
const SubwordPrefix = "#"

// IsSubword reports whether tok is a sub-word n-gram produced by Tokens.
func IsSubword(tok string) bool { return strings.HasPrefix(tok, SubwordPrefix) }

// Tokens splits text into the tokens the built-in embedder hashes; a BM25
// index should use the very same function so that lexical and vector search
// agree on what a term is. Tokens are returned in order, with repeats (term
// frequency matters). Text is normalised first: full-width ASCII (ＡＢＣ１２３)
// becomes ASCII and letters are lower-cased.
//
//   - Han (and kana/Hangul) runs give character unigrams and bigrams:
//     华为手机 → 华 华为 为 为手 手 手机 机. Chinese has no spaces; bigrams
//     catch most two-character words without a dictionary.
//   - Other letter/digit runs give the word (4400mah, iphone15, 6.6), its
//     letter and number parts when it mixes them (4400, mah), and, for
//     letter parts of three or more letters, fastText-style character
//     3-grams with boundary markers, prefixed by SubwordPrefix
//     (phone → #<ph #pho #hon #one #ne>), so phone and phones share most
//     features.
//   - A number followed by a known unit across spaces (4400 mAh, 6.6英寸,
//     500 ml) also gives the joined token (4400mah, 6.6英寸, 500ml), so both
//     spellings meet on one token.
//   - Hyphenated compounds also give the joined word: USB-C → usbc,
//     Wi-Fi → wifi.
func Tokens(text string) []string {
	var out []string
	var sc scanner
	sc.scan(text, func(tok []byte, _ float32) {
		out = append(out, string(tok))
	})
	return out
}

// Relative weights of token kinds in the built-in embedder. A Han unigram is
// weaker evidence than a bigram (机 occurs in 手机, 飞机 and 洗衣机). A word
// of n letters has n 3-grams, each weighing subwordMass/√n, so its sub-words
// together weigh as much as the word in L2 terms, whatever its length. Half
// that mass was tried first and left phone/phones at cosine 0.15, inside
// the hashing noise of 256 dimensions; at 1.0 it is 0.37 while unrelated
// words stay at 0.
const (
	weightWord       = 1.0
	weightHanBigram  = 1.0
	weightHanUnigram = 0.5
	subwordMass      = 1.0
)

// scanner holds scratch buffers so that embedding does not allocate a string
// per token; the zero value is ready to use.
type scanner struct {
	runes []rune
	tok   []byte
	comp  []byte // hyphen compound being built
}

type emitFunc func(tok []byte, weight float32)

func (sc *scanner) scan(text string, emit emitFunc) {
	rs := normaliseRunes(sc.runes[:0], text)
	sc.runes = rs

	// State carried across chunks: a bare number waiting for a unit, and a
	// hyphen compound (wi-fi) being assembled.
	numStart, numEnd := -1, -1
	compParts := 0
	sc.comp = sc.comp[:0]
	flushComp := func() {
		if compParts >= 2 {
			emit(sc.comp, weightWord)
		}
		compParts = 0
		sc.comp = sc.comp[:0]
	}
	prevStart, prevEnd := -1, -1 // the previous letter/digit chunk

	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isCJK(r):
			j := i
			for j < len(rs) && isCJK(rs[j]) {
				j++
			}
			flushComp()
			if numStart >= 0 && onlySpaces(rs[numEnd:i]) {
				if n := matchUnit(rs[i:j]); n > 0 {
					sc.emitRunes(emit, weightWord, rs[numStart:numEnd], rs[i:i+n])
				}
			}
			numStart, numEnd = -1, -1
			prevStart, prevEnd = -1, -1
			for k := i; k < j; k++ {
				sc.emitRunes(emit, weightHanUnigram, rs[k:k+1])
				if k+1 < j {
					sc.emitRunes(emit, weightHanBigram, rs[k:k+2])
				}
			}
			i = j
		case isWordRune(r):
			j := i + 1
			for j < len(rs) {
				c := rs[j]
				if isWordRune(c) {
					j++
					continue
				}
				// Keep the decimal point of 6.6 and 1.5l inside the word.
				if c == '.' && isDigit(rs[j-1]) && j+1 < len(rs) && isDigit(rs[j+1]) {
					j++
					continue
				}
				break
			}
			word := rs[i:j]
			// A chunk continues a hyphen compound when exactly one '-'
			// separates it from the previous chunk.
			if prevEnd >= 0 && i-prevEnd == 1 && rs[prevEnd] == '-' {
				if compParts == 0 {
					sc.comp = appendRunes(sc.comp, rs[prevStart:prevEnd])
					compParts = 1
				}
				sc.comp = appendRunes(sc.comp, word)
				compParts++
			} else {
				flushComp()
			}
			// A spaced unit joins the number before it: 4400 mAh.
			if numStart >= 0 && onlySpaces(rs[numEnd:i]) && latinUnits[string(word)] {
				sc.emitRunes(emit, weightWord, rs[numStart:numEnd], word)
			}
			sc.word(emit, word)
			if isNumber(word) {
				numStart, numEnd = i, j
			} else {
				numStart, numEnd = -1, -1
			}
			prevStart, prevEnd = i, j
			i = j
		default:
			// Spaces keep a pending number (4400 mAh); other punctuation
			// ends it. Only a single hyphen right after a chunk keeps a
			// compound going.
			if r != ' ' && r != '\t' {
				numStart, numEnd = -1, -1
			}
			if !(r == '-' && prevEnd == i) {
				flushComp()
			}
			i++
		}
	}
	flushComp()
}

// word emits a letter/digit chunk, its letter and number parts when it mixes
// them, and the sub-words of its letter parts.
func (sc *scanner) word(emit emitFunc, w []rune) {
	sc.emitRunes(emit, weightWord, w)
	mixed := false
	for k := 1; k < len(w); k++ {
		if isNumRune(w, k) != isNumRune(w, k-1) {
			mixed = true
			break
		}
	}
	start := 0
	for k := 1; k <= len(w); k++ {
		if k == len(w) || isNumRune(w, k) != isNumRune(w, k-1) {
			if mixed {
				sc.emitRunes(emit, weightWord, w[start:k])
			}
			if !isNumRune(w, start) {
				sc.subwords(emit, w[start:k])
			}
			start = k
		}
	}
}

// subwords emits the character 3-grams of <w>.
func (sc *scanner) subwords(emit emitFunc, w []rune) {
	if len(w) < 3 {
		return
	}
	n := len(w) // a word of n letters has n 3-grams once bounded by < and >
	weight := float32(subwordMass / math.Sqrt(float64(n)))
	for k := -1; k+2 <= len(w); k++ {
		sc.tok = append(sc.tok[:0], SubwordPrefix...)
		for m := k; m < k+3; m++ {
			switch {
			case m < 0:
				sc.tok = append(sc.tok, '<')
			case m >= len(w):
				sc.tok = append(sc.tok, '>')
			default:
				sc.tok = utf8.AppendRune(sc.tok, w[m])
			}
		}
		emit(sc.tok, weight)
	}
}

func (sc *scanner) emitRunes(emit emitFunc, weight float32, parts ...[]rune) {
	sc.tok = sc.tok[:0]
	for _, p := range parts {
		sc.tok = appendRunes(sc.tok, p)
	}
	emit(sc.tok, weight)
}

func appendRunes(b []byte, rs []rune) []byte {
	for _, r := range rs {
		b = utf8.AppendRune(b, r)
	}
	return b
}

// normaliseRunes lower-cases text and folds full-width ASCII, common in
// Chinese product text (ｉＰｈｏｎｅ１５, ６．６英寸), to ASCII.
func normaliseRunes(dst []rune, text string) []rune {
	for _, r := range text {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		if r < 0x80 {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else {
			r = unicode.ToLower(r)
		}
		dst = append(dst, r)
	}
	return dst
}

func isCJK(r rune) bool {
	if r < 0x1100 { // below Hangul Jamo: no CJK; the common ASCII case stays cheap
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

func isWordRune(r rune) bool {
	if r < 0x80 {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) && !isCJK(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// isNumRune says whether w[k] belongs to a number: a digit, or the decimal
// point between two digits.
func isNumRune(w []rune, k int) bool {
	if isDigit(w[k]) {
		return true
	}
	return w[k] == '.' && k > 0 && k+1 < len(w) && isDigit(w[k-1]) && isDigit(w[k+1])
}

func isNumber(w []rune) bool {
	for k := range w {
		if !isNumRune(w, k) {
			return false
		}
	}
	return len(w) > 0
}

func onlySpaces(rs []rune) bool {
	for _, r := range rs {
		if r != ' ' && r != '\t' {
			return false
		}
	}
	return true
}

// latinUnits are units that, written after a number with a space, join it:
// "4400 mAh" also gives 4400mah. Words that are also common English words
// (in, s, m) are left out, or "3 in 1" would give 3in.
var latinUnits = map[string]bool{}

// hanUnits are matched longest first at the start of a Han run that follows
// a number: 6.6英寸超大屏 gives 6.6英寸.
var hanUnits [][]rune

func init() {
	for _, u := range strings.Fields(`mah ah wh kwh mm cm km ft inch inches g kg mg lb lbs oz ml l
		gb tb mb kb hz khz mhz ghz w kw v mp fps nm pcs pc pack p k x h min mins hrs`) {
		latinUnits[u] = true
	}
	for _, u := range strings.Fields(`英寸 寸 英尺 毫安时 毫安 毫升 升 毫米 厘米 公分 米 千米 公里
		千克 公斤 克 斤 磅 瓦 千瓦 伏 赫兹 万像素 像素 万 亿 核 倍 度 小时 分钟 秒 天 周 年 个月 月 岁
		片 粒 包 袋 盒 瓶 罐 支 只 件 套 双 个 层 人 码 号 匹 档 色 抽 卷 张 条 根 台 部 斤装`) {
		hanUnits = append(hanUnits, []rune(u))
	}
	// Longest first, so 毫安时 wins over 毫安.
	for i := 1; i < len(hanUnits); i++ {
		for j := i; j > 0 && len(hanUnits[j]) > len(hanUnits[j-1]); j-- {
			hanUnits[j], hanUnits[j-1] = hanUnits[j-1], hanUnits[j]
		}
	}
}

// matchUnit returns the length of the longest Han unit that run starts with.
func matchUnit(run []rune) int {
	for _, u := range hanUnits {
		if len(u) <= len(run) && string(run[:len(u)]) == string(u) {
			return len(u)
		}
	}
	return 0
}
