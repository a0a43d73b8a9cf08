package copywriter

import (
	"fmt"
	"io"
	"strconv"

	"github.com/shopmuse/shopmuse/shop"
)

// Channel is where the copy will be shown; it fixes the length budget.
type Channel string

const (
	ChannelTitle     Channel = "TITLE"
	ChannelDetail    Channel = "DETAIL"
	ChannelAdSlogan  Channel = "AD_SLOGAN"
	ChannelPromotion Channel = "PROMOTION"
	ChannelPush      Channel = "PUSH"
	ChannelEmail     Channel = "EMAIL"
)

// Channels lists every channel in a fixed order.
var Channels = []Channel{ChannelTitle, ChannelDetail, ChannelAdSlogan, ChannelPromotion, ChannelPush, ChannelEmail}

func (c Channel) Valid() bool {
	_, ok := limits[c]
	return ok
}

func (c Channel) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

func (c *Channel) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("CopyChannel must be a string")
	}
	if !Channel(s).Valid() {
		return fmt.Errorf("%q is not a valid CopyChannel", s)
	}
	*c = Channel(s)
	return nil
}

// Limit is a channel's length budget in characters (runes), so a Chinese
// character counts as one, as the platforms that display the copy count.
type Limit struct{ Min, Max int }

type channelLimits struct{ zh, en Limit }

// The maxima follow what shop platforms and push services truncate at; the
// minima keep long-form channels from degenerating into a title.
var limits = map[Channel]channelLimits{
	ChannelTitle:     {zh: Limit{1, 30}, en: Limit{1, 80}},
	ChannelAdSlogan:  {zh: Limit{1, 20}, en: Limit{1, 60}},
	ChannelPush:      {zh: Limit{1, 60}, en: Limit{1, 120}},
	ChannelPromotion: {zh: Limit{1, 80}, en: Limit{1, 160}},
	ChannelDetail:    {zh: Limit{60, 600}, en: Limit{150, 2500}},
	ChannelEmail:     {zh: Limit{100, 1500}, en: Limit{200, 3000}},
}

// headlineLimit bounds every variant's headline (for EMAIL, the subject line)
// by the channel-independent title budget: it is shown where titles are.
var headlineLimit = channelLimits{zh: Limit{0, 30}, en: Limit{0, 80}}

// LimitFor returns the text length budget of a channel in a language.
func LimitFor(c Channel, lang shop.Language) Limit {
	l := limits[c]
	if lang == shop.LanguageEN {
		return l.en
	}
	return l.zh
}

// HeadlineLimitFor returns the headline budget in a language.
func HeadlineLimitFor(lang shop.Language) Limit {
	if lang == shop.LanguageEN {
		return headlineLimit.en
	}
	return headlineLimit.zh
}
