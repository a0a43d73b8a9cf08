package words

import (
	"strings"
	"testing"
)

func TestPiecesJoinToTheTextAndCutAfterPunctuation(t *testing.T) {
	s := "华为 P50 Pro，4400mAh 电池陪你拍一整天。Battery, all day!"
	ps := Pieces(s)
	if strings.Join(ps, "") != s {
		t.Fatalf("pieces %q do not join to %q", ps, s)
	}
	for _, p := range ps[:len(ps)-1] {
		r := []rune(p)
		if len(r) != 8 && !strings.ContainsRune("，。！？；,.!?;\n", r[len(r)-1]) {
			t.Errorf("piece %q is neither 8 runes nor ends at punctuation", p)
		}
	}
	if Pieces("") != nil {
		t.Error("empty text gave pieces")
	}
}
