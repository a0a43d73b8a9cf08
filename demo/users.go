package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/shopmuse/shopmuse/shop"
)

// interestTaste maps a declared interest onto what it makes a user browse:
// top-level categories and, optionally, a product tag that user favours.
// Chinese and English interests share this one table so both kinds of user
// behave alike.
var interestTaste = map[string]struct {
	cats []string
	tag  string
}{
	"拍照": {[]string{"数码"}, "拍照"}, "photography": {[]string{"数码"}, "拍照"},
	"户外": {[]string{"运动户外"}, "户外"}, "outdoor": {[]string{"运动户外"}, "户外"},
	"运动": {[]string{"运动户外", "服饰"}, "运动"}, "running": {[]string{"运动户外"}, "跑步"},
	"美妆": {[]string{"美妆"}, "彩妆"}, "makeup": {[]string{"美妆"}, "彩妆"},
	"护肤": {[]string{"美妆"}, "护肤"}, "skincare": {[]string{"美妆"}, "护肤"},
	"数码": {[]string{"数码"}, ""}, "tech": {[]string{"数码"}, ""},
	"游戏": {[]string{"数码"}, "游戏"}, "gaming": {[]string{"数码"}, "游戏"},
	"商务": {[]string{"数码", "服饰"}, "商务"}, "business": {[]string{"数码", "服饰"}, "商务"},
	"学生": {[]string{"数码", "食品"}, "学生"},
	"育儿": {[]string{"母婴"}, "婴儿"}, "parenting": {[]string{"母婴"}, "婴儿"},
	"烹饪": {[]string{"家电", "家居", "食品"}, "烹饪"}, "cooking": {[]string{"家电", "家居"}, "烹饪"},
	"家居": {[]string{"家居", "家电"}, ""}, "home": {[]string{"家居", "家电"}, ""},
	"健身": {[]string{"运动户外", "食品"}, "健身"}, "fitness": {[]string{"运动户外"}, "健身"},
	"旅行": {[]string{"运动户外", "数码"}, "旅行"}, "travel": {[]string{"运动户外", "数码"}, "旅行"},
	"咖啡": {[]string{"食品"}, "咖啡"}, "coffee": {[]string{"食品"}, "咖啡"},
	"时尚": {[]string{"服饰", "美妆"}, "时尚"}, "fashion": {[]string{"服饰", "美妆"}, "时尚"},
	"零食": {[]string{"食品"}, "零食"}, "茶": {[]string{"食品"}, "茶"},
	"清洁": {[]string{"家电"}, "清洁"}, "露营": {[]string{"运动户外"}, "露营"},
}

// archetype is a kind of shopper; users are drawn from these so that age,
// interests and spending go together the way they do in real shops.
type archetype struct {
	minAge, maxAge int
	female         float64 // share of women
	interests      []string
	price          float64 // preferred price percentile within a sub-category, 0 cheap … 1 premium
}

var zhArchetypes = []archetype{
	{26, 38, 0.85, []string{"育儿", "家居", "烹饪", "护肤"}, 0.55},
	{16, 23, 0.5, []string{"学生", "游戏", "数码", "运动", "零食"}, 0.2},
	{24, 45, 0.4, []string{"户外", "拍照", "旅行", "运动", "露营"}, 0.65},
	{25, 40, 0.5, []string{"商务", "咖啡", "时尚", "数码"}, 0.7},
	{18, 35, 0.9, []string{"美妆", "护肤", "时尚", "拍照"}, 0.6},
	{20, 40, 0.45, []string{"健身", "运动", "户外", "咖啡"}, 0.5},
	{40, 70, 0.55, []string{"家居", "烹饪", "茶", "清洁"}, 0.4},
	{20, 45, 0.15, []string{"数码", "拍照", "游戏"}, 0.75},
}

var enArchetypes = []archetype{
	{24, 45, 0.4, []string{"photography", "outdoor", "travel", "tech"}, 0.65},
	{25, 50, 0.5, []string{"business", "coffee", "fashion", "tech"}, 0.75},
	{22, 40, 0.6, []string{"running", "fitness", "skincare", "coffee"}, 0.5},
	{28, 40, 0.7, []string{"parenting", "home", "cooking"}, 0.5},
}

var (
	zhSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"}
	zhFemale   = []string{"欣怡", "雨桐", "一诺", "佳怡", "晓燕", "丽娟", "婷婷", "雪梅", "诗涵", "静怡", "梦瑶", "思琪"}
	zhMale     = []string{"浩然", "梓轩", "思远", "宇航", "建国", "志强", "明杰", "俊杰", "文博", "子豪", "天佑", "嘉伟"}
	enFirstF   = []string{"Emily", "Olivia", "Sophia", "Grace", "Chloe", "Hannah"}
	enFirstM   = []string{"James", "Daniel", "Ryan", "Lucas", "Ethan", "Noah"}
	enLast     = []string{"Carter", "Wong", "Smith", "Patel", "Miller", "Chen", "Brown", "Garcia"}
)

const (
	numUsers = 72
	// Every enEvery-th user speaks English; the rest are Chinese-speaking.
	enEvery = 7
)

// persona is what the behaviour model knows about a user beyond the input.
type persona struct {
	english bool
	price   float64
	tags    []string           // favoured product tags
	cats    map[string]float64 // weight per top-level category
}

func users(rng *rand.Rand) ([]shop.UserInput, []persona) {
	ins := make([]shop.UserInput, 0, numUsers)
	ps := make([]persona, 0, numUsers)
	for i := 0; i < numUsers; i++ {
		english := i%enEvery == 3
		pool := zhArchetypes
		if english {
			pool = enArchetypes
		}
		a := pool[rng.IntN(len(pool))]
		age := a.minAge + rng.IntN(a.maxAge-a.minAge+1)
		gender := shop.GenderMale
		switch r := rng.Float64(); {
		case r < 0.02:
			gender = shop.GenderOther
		case r < 0.02+a.female*0.98:
			gender = shop.GenderFemale
		}
		var name string
		female := gender == shop.GenderFemale || (gender == shop.GenderOther && rng.IntN(2) == 0)
		if english {
			first := enFirstM
			if female {
				first = enFirstF
			}
			name = first[rng.IntN(len(first))] + " " + enLast[rng.IntN(len(enLast))]
		} else {
			given := zhMale
			if female {
				given = zhFemale
			}
			name = zhSurnames[rng.IntN(len(zhSurnames))] + given[rng.IntN(len(given))]
		}
		// Two to four interests from the archetype, in a shuffled order so
		// users of one archetype still differ.
		k := 2 + rng.IntN(min(3, len(a.interests)-1))
		perm := rng.Perm(len(a.interests))
		interests := make([]string, 0, k)
		for _, j := range perm[:k] {
			interests = append(interests, a.interests[j])
		}

		p := persona{english: english, cats: map[string]float64{}}
		p.price = clamp(a.price+(rng.Float64()-0.5)*0.3, 0.05, 0.95)
		for _, in := range interests {
			t := interestTaste[in]
			for _, c := range t.cats {
				p.cats[c] += 1 / float64(len(t.cats))
			}
			if t.tag != "" {
				p.tags = append(p.tags, t.tag)
			}
		}
		id := fmt.Sprintf("u%03d", i+1)
		g := gender
		ins = append(ins, shop.UserInput{ID: id, Name: &name, Age: &age, Gender: &g, Interests: interests})
		ps = append(ps, p)
	}
	return ins, ps
}

func clamp(x, lo, hi float64) float64 { return max(lo, min(hi, x)) }
