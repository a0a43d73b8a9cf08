package copywriter

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// The feature → benefit knowledge lives in data/benefits.json, like the
// banned terms: it is reviewed as data, with its sources, not as code. A
// category entry says what each attribute value means to a shopper
// ("半高领" → "修饰颈部线条，保暖又显精神"), which persona interests the
// category supports as an angle, and where the product is used.

//go:embed data/benefits.json
var benefitsJSON []byte

type kbFile struct {
	Version     int               `json:"version"`
	Description string            `json:"description"`
	Sources     map[string]string `json:"sources"`
	Categories  []kbCategory      `json:"categories"`
}

type kbCategory struct {
	Key        string              `json:"key"`
	Match      []string            `json:"match"`
	Sources    []string            `json:"sources"`
	Angles     map[string][]string `json:"angles"`
	Scene      map[string]string   `json:"scene"`
	Attributes []kbAttr            `json:"attributes"`
}

type kbAttr struct {
	Names []string          `json:"names"`
	ZH    map[string]string `json:"zh"`
	EN    map[string]string `json:"en"`
	// Skip marks attributes that are a choice, not a selling point (尺码).
	Skip bool `json:"skip"`
	// Noun marks attributes that say what the product is (类型 上衣, 衣样式
	// 卫衣): they name it ("这款卫衣") rather than sell it.
	Noun bool `json:"noun"`

	zhKeys, enKeys []string // value keys, longest first
}

var kb = mustLoadKB(benefitsJSON)

func mustLoadKB(b []byte) *kbFile {
	f, err := loadKB(b)
	if err != nil {
		panic(fmt.Sprintf("copywriter: data/benefits.json: %v", err))
	}
	return f
}

func loadKB(b []byte) (*kbFile, error) {
	var f kbFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse benefits: %w", err)
	}
	for ci := range f.Categories {
		c := &f.Categories[ci]
		if c.Key == "" || len(c.Match) == 0 || len(c.Sources) == 0 {
			return nil, fmt.Errorf("category %d: key, match and sources are required", ci)
		}
		for _, s := range c.Sources {
			if f.Sources[s] == "" {
				return nil, fmt.Errorf("category %s: unknown source %q", c.Key, s)
			}
		}
		for i := range c.Match {
			c.Match[i] = strings.ToLower(c.Match[i])
		}
		for ai := range c.Attributes {
			a := &c.Attributes[ai]
			for i := range a.Names {
				a.Names[i] = strings.ToLower(a.Names[i])
			}
			a.zhKeys, a.enKeys = sortedKeys(a.ZH), sortedKeys(a.EN)
		}
	}
	return &f, nil
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		if k != "*" {
			ks = append(ks, strings.ToLower(k))
		}
	}
	sort.Slice(ks, func(i, j int) bool {
		if len(ks[i]) != len(ks[j]) {
			return len(ks[i]) > len(ks[j])
		}
		return ks[i] < ks[j]
	})
	return ks
}

// categorySegments splits a category path into lower-case segments.
func categorySegments(category string) []string {
	var out []string
	for _, s := range strings.Split(category, "/") {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// kbFor returns the knowledge for a product's category, or nil.
func kbFor(category string) *kbCategory {
	// the top segment decides first: 家电/洗衣机 is an appliance, though
	// 洗衣机 has a 衣 in it
	for _, s := range categorySegments(category) {
		for ci := range kb.Categories {
			c := &kb.Categories[ci]
			for _, m := range c.Match {
				if s == m || strings.Contains(s, m) {
					return c
				}
			}
		}
	}
	return nil
}

// lookup finds the most specific entry for a category path in a map keyed
// by sub-category names (and "*"): the deepest segment that names a key.
func lookup[T any](m map[string]T, category string) (T, bool) {
	segs := categorySegments(category)
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "*" {
			keys = append(keys, k)
		}
	}
	// longest key first, so 运动T恤 is a T恤 before it is 运动, every time
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	for i := len(segs) - 1; i >= 0; i-- {
		for _, k := range keys {
			if strings.Contains(segs[i], strings.ToLower(k)) {
				return m[k], true
			}
		}
	}
	v, ok := m["*"]
	return v, ok
}

// attr finds the entry for an attribute name: an exact name first, then
// the longest name the attribute's name contains.
func (c *kbCategory) attr(name string) *kbAttr {
	if c == nil {
		return nil
	}
	low := strings.ToLower(strings.TrimSpace(name))
	var best *kbAttr
	bestLen := 0
	for ai := range c.Attributes {
		a := &c.Attributes[ai]
		for _, n := range a.Names {
			if n == low {
				return a
			}
			if len(n) > bestLen && strings.Contains(low, n) {
				best, bestLen = a, len(n)
			}
		}
	}
	return best
}

// phrase is what the knowledge says about one value: the phrase with the
// value written in, "" when the value is better left unsaid (负离子: 无),
// and false when the knowledge has nothing for it.
func (a *kbAttr) phrase(value string, zh bool) (string, bool) {
	if a == nil {
		return "", false
	}
	m, keys := a.EN, a.enKeys
	if zh {
		m, keys = a.ZH, a.zhKeys
	}
	if len(m) == 0 {
		return "", false
	}
	low := strings.ToLower(strings.TrimSpace(value))
	tmpl, ok := "", false
	for _, k := range keys {
		if k == low {
			tmpl, ok = lookupFold(m, k), true
			break
		}
	}
	if !ok {
		for _, k := range keys {
			if strings.Contains(low, k) {
				tmpl, ok = lookupFold(m, k), true
				break
			}
		}
	}
	if !ok {
		tmpl, ok = m["*"]
	}
	if !ok {
		return "", false
	}
	return strings.ReplaceAll(tmpl, "{v}", value), true
}

func lookupFold(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	for mk, v := range m {
		if strings.ToLower(mk) == k {
			return v
		}
	}
	return ""
}

// supportedInterests are the persona interests a product can be sold to:
// those its category supports, and those its own category path, title or
// tags name (a T-shirt tagged 运动 may speak to a runner).
func supportedInterests(p *shop.Product) map[string]bool {
	out := map[string]bool{}
	if c := kbFor(p.Category); c != nil {
		if ks, ok := lookup(c.Angles, p.Category); ok {
			for _, k := range ks {
				out[k] = true
			}
		}
	}
	ctx := strings.ToLower(p.Category + " " + p.Title + " " + strings.Join(p.Tags, " "))
	for _, in := range persona.Interests {
		for _, sf := range in.Synonyms {
			if hasKey(ctx, sf) {
				out[in.Key] = true
				break
			}
		}
	}
	return out
}

// categoryScene is where a product of this category is used, in Chinese,
// or "".
func categoryScene(category string) string {
	c := kbFor(category)
	if c == nil {
		return ""
	}
	s, _ := lookup(c.Scene, category)
	return s
}
