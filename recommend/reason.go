package recommend

import (
	"fmt"

	"github.com/shopmuse/shopmuse/shop"
)

// Reason kinds. Most equal the retriever that produced them.
const (
	ReasonItemCF        = RetrieverItemCF   // because you viewed/bought X
	ReasonMF            = RetrieverMF       // picked for you
	ReasonContent       = RetrieverContent  // similar to X you viewed
	ReasonInterest      = "interest"        // matches your interest
	ReasonPopular       = RetrieverPopular  // popular (in a category)
	ReasonTrending      = RetrieverTrending // trending now
	ReasonSeen          = RetrieverSeen     // you viewed this recently
	ReasonSession       = RetrieverSession  // shoppers who viewed X looked at this next
	ReasonInCart        = "cart"            // still in your cart
	ReasonRebuy         = "rebuy"           // bought N days ago, time to restock
	ReasonCategory      = "category"        // a category the shopper frequents
	ReasonSimilar       = "similar"         // Related: similar to X
	ReasonCoViewed      = "co_viewed"       // Related: viewed together
	ReasonComplementary = "complementary"   // Related: bought together
)

// Reason explains why an item was recommended, in the request's language.
type Reason struct {
	Kind          string
	Message       string
	RelatedItemID string // the item the reason refers to, when any
	// Strength is the similarity between the related item and the
	// recommended one (item-CF or session), 0 when there is none: what
	// admins see to judge a cited link.
	Strength float64
	// RuleID is the merchandising rule behind a ReasonMerchandising reason
	// (admins see it).
	RuleID string `json:",omitempty"`
}

// Candidate is one item proposed by a retriever.
type Candidate struct {
	ItemID string
	Score  float64
	Reason Reason
}

func pick(lang shop.Language, zh, en string) string {
	if lang == shop.LanguageEN {
		return en
	}
	return zh
}

// verbs of the kinds, for "because you <verb> X".
var kindVerbZH = map[shop.InteractionKind]string{
	shop.KindView: "浏览过", shop.KindClick: "点击过", shop.KindLike: "喜欢",
	shop.KindAddToCart: "加购过", shop.KindPurchase: "购买过", shop.KindRate: "评价过",
}
var kindVerbEN = map[shop.InteractionKind]string{
	shop.KindView: "viewed", shop.KindClick: "clicked", shop.KindLike: "liked",
	shop.KindAddToCart: "added to your cart", shop.KindPurchase: "bought", shop.KindRate: "rated",
}

func titleOf(d *Dataset, id string) string {
	if p, ok := d.Product(id); ok && p.Title != "" {
		return p.Title
	}
	return id
}

func becauseReason(lang shop.Language, kind uint8, relatedID, title string) Reason {
	k, _ := shop.KindFromCode(kind)
	return Reason{Kind: ReasonItemCF, RelatedItemID: relatedID,
		Message: pick(lang, fmt.Sprintf("因为你%s「%s」", kindVerbZH[k], title),
			fmt.Sprintf("Because you %s “%s”", kindVerbEN[k], title))}
}

func similarToSeenReason(lang shop.Language, kind uint8, relatedID, title string) Reason {
	k, _ := shop.KindFromCode(kind)
	return Reason{Kind: ReasonContent, RelatedItemID: relatedID,
		Message: pick(lang, fmt.Sprintf("与你%s的「%s」相似", kindVerbZH[k], title),
			fmt.Sprintf("Similar to “%s”, which you %s", title, kindVerbEN[k]))}
}

func interestReason(lang shop.Language, interest string) Reason {
	return Reason{Kind: ReasonInterest,
		Message: pick(lang, "符合你的兴趣："+interest, "Matches your interest: "+interest)}
}

func mfReason(lang shop.Language) Reason {
	return Reason{Kind: ReasonMF, Message: pick(lang, "根据你的购物偏好为你推荐", "Picked for your taste")}
}

func popularReason(lang shop.Language, category string) Reason {
	if category == "" {
		return Reason{Kind: ReasonPopular, Message: pick(lang, "热销好物", "Best seller")}
	}
	return Reason{Kind: ReasonPopular, Message: pick(lang, "同类热销："+category, "Popular in "+category)}
}

func trendingReason(lang shop.Language) Reason {
	return Reason{Kind: ReasonTrending, Message: pick(lang, "近期热门", "Trending now")}
}

func seenReason(lang shop.Language, carted bool) Reason {
	if carted {
		return Reason{Kind: ReasonInCart, Message: pick(lang, "还在你的购物车里", "Still in your cart")}
	}
	return Reason{Kind: ReasonSeen, Message: pick(lang, "你最近看过", "You viewed this recently")}
}

func rebuyReason(lang shop.Language, days int) Reason {
	return Reason{Kind: ReasonRebuy, Message: pick(lang, fmt.Sprintf("约 %d 天前购买，可以补货了", days),
		fmt.Sprintf("Bought about %d days ago: time to restock?", days))}
}

func similarReason(lang shop.Language, relatedID, title string) Reason {
	return Reason{Kind: ReasonSimilar, RelatedItemID: relatedID,
		Message: pick(lang, fmt.Sprintf("与「%s」相似", title), fmt.Sprintf("Similar to “%s”", title))}
}

func coViewedReason(lang shop.Language, relatedID, title string) Reason {
	return Reason{Kind: ReasonCoViewed, RelatedItemID: relatedID,
		Message: pick(lang, fmt.Sprintf("看过「%s」的人也看了", title), fmt.Sprintf("People who viewed “%s” also viewed", title))}
}

func complementaryReason(lang shop.Language, relatedID, title string) Reason {
	return Reason{Kind: ReasonComplementary, RelatedItemID: relatedID,
		Message: pick(lang, fmt.Sprintf("买了「%s」的人也买了", title), fmt.Sprintf("Often bought with “%s”", title))}
}
