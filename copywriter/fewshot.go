package copywriter

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
)

// Few-shot exemplars for the LLM writer: short copy we wrote for example
// products, per category and channel (data/exemplars.json). A model shown
// "连帽设计率性有范，还能挡风保暖" writes benefits; a model shown only rules
// writes spec sheets.

//go:embed data/exemplars.json
var exemplarsJSON []byte

type exemplar struct {
	Category string `json:"category"`
	Channel  string `json:"channel"`
	Lang     string `json:"lang"`
	Facts    string `json:"facts"`
	Text     string `json:"text"`
}

var exemplars = mustLoadExemplars(exemplarsJSON)

func mustLoadExemplars(b []byte) []exemplar {
	var f struct {
		Exemplars []exemplar `json:"exemplars"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		panic(fmt.Sprintf("copywriter: data/exemplars.json: %v", err))
	}
	for i, e := range f.Exemplars {
		if e.Category == "" || !Channel(e.Channel).Valid() || !shop.Language(e.Lang).Valid() || e.Facts == "" || e.Text == "" {
			panic(fmt.Sprintf("copywriter: data/exemplars.json: exemplar %d is incomplete: %+v", i, e))
		}
	}
	return f.Exemplars
}

// longChannel reports whether a channel takes several sentences.
func longChannel(ch Channel) bool { return ch == ChannelDetail || ch == ChannelEmail }

// exemplarsFor picks up to three exemplars for a product's category and a
// channel, in the copy's language: the category's own for this channel
// first, then the general ones for this channel, then the category's for a
// channel of the same length (an EMAIL body is written like a DETAIL).
func exemplarsFor(category string, ch Channel, lang shop.Language) []exemplar {
	key := "*"
	if c := kbFor(category); c != nil {
		key = c.Key
	}
	var out []exemplar
	seen := map[int]bool{}
	pick := func(match func(e exemplar) bool) {
		for i, e := range exemplars {
			if len(out) == 3 {
				return
			}
			if !seen[i] && shop.Language(e.Lang) == lang && match(e) {
				seen[i] = true
				out = append(out, e)
			}
		}
	}
	pick(func(e exemplar) bool { return e.Category == key && Channel(e.Channel) == ch })
	pick(func(e exemplar) bool { return e.Category == "*" && Channel(e.Channel) == ch })
	pick(func(e exemplar) bool { return e.Category == key && longChannel(Channel(e.Channel)) == longChannel(ch) })
	pick(func(e exemplar) bool { return e.Category == "*" && longChannel(Channel(e.Channel)) == longChannel(ch) })
	return out
}

// exemplarBlock renders exemplars for the prompt.
func exemplarBlock(es []exemplar) string {
	var b strings.Builder
	for i, e := range es {
		fmt.Fprintf(&b, "Example %d (%s) — example product: %s\n%s\n", i+1, e.Channel, sanitizeData(e.Facts), sanitizeData(e.Text))
	}
	return strings.TrimRight(b.String(), "\n")
}
