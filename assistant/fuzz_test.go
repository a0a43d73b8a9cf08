package assistant

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/copywriter"
)

// FuzzAnswer: any question text, on any product page, gives an answer of a
// valid kind whose checks pass, or a bad-question error; never a panic.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"电池多大", "99999999999999999999元以内的手机", "1e308以内", "多少钱？？？", "\xff\xfe电池", "哪个好", "under $-5",
		"电池超过99999999999999999999mAh吗", strings.Repeat("续航", 200), "和和和和还是还是", "vs vs vs", "0.0000001元以内", "\u200b电\u200b池"} {
		f.Add(s, 0)
	}
	b, ps := demoBuiltin(f)
	f.Fuzz(func(t *testing.T, text string, pi int) {
		q := Question{Text: text}
		if pi > 0 {
			q.ProductID = ps[pi%len(ps)].ID
		}
		a, err := b.Answer(context.Background(), q)
		if err != nil {
			if strings.TrimSpace(text) != "" && utf8.RuneCountInString(text) <= MaxQuestionRunes {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		if !a.Kind.Valid() {
			t.Fatalf("%q: kind %q", text, a.Kind)
		}
		if !a.Kind.Refusal() && !copywriter.Passed(a.Checks) {
			t.Fatalf("%q: checks %v", text, a.Checks)
		}
	})
}

// TestRandomTextNeverBreaks feeds random runes, mixed with question words,
// through Parse and the answerer.
func TestRandomTextNeverBreaks(t *testing.T) {
	b, ps := demoBuiltin(t)
	rng := rand.New(rand.NewPCG(3, 5))
	pieces := []string{"电池", "以内", "以上", "元", "mAh", "不超过", "哪个", "和", "vs", "手机", "$", "¥", "9", "0", ".", "-", "到", "两千", "万", "保修", "退款", "\u200d", "Ⅷ", "ｍＡｈ", " ", "?", "\xff"}
	for n := 0; n < 2000; n++ {
		var sb strings.Builder
		for k := rng.IntN(12) + 1; k > 0; k-- {
			if rng.IntN(4) == 0 {
				sb.WriteRune(rune(rng.IntN(0x2FFFF)))
			} else {
				sb.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		q := Question{Text: sb.String()}
		if rng.IntN(2) == 0 {
			q.ProductID = ps[rng.IntN(len(ps))].ID
		}
		a, err := b.Answer(context.Background(), q)
		if err != nil {
			if strings.TrimSpace(q.Text) != "" {
				t.Fatalf("%q: %v", q.Text, err)
			}
			continue
		}
		if !a.Kind.Refusal() && !copywriter.Passed(a.Checks) {
			t.Fatalf("%q: %s %q fails its checks %v", q.Text, a.Kind, a.Text, a.Checks)
		}
		if p := Parse(q); p.Filter.MaxPrice != nil && (*p.Filter.MaxPrice < 0) {
			t.Fatalf("%q: negative budget %v", q.Text, *p.Filter.MaxPrice)
		}
	}
}
