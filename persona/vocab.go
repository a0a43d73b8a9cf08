package persona

import (
	"strings"

	"github.com/shopmuse/shopmuse/internal/words"
)

// Interest is one entry of the canonical interest vocabulary. Free-text and
// declared interests are mapped onto these keys so that personas, segments and
// selling-point selection speak one language.
type Interest struct {
	Key string // stable English key: "photography"
	ZH  string // 拍照
	EN  string // photography
	// Synonyms are the lower-case surface forms (ZH and EN) that name the
	// interest in free text and in product listings.
	Synonyms []string
}

// Interests is the canonical vocabulary, in priority order: when a persona
// names several, the first one listed here that it names is its top interest
// only if the persona did not order them itself.
var Interests = []Interest{
	{Key: "photography", ZH: "拍照", EN: "photography",
		Synonyms: []string{"拍照", "摄影", "拍摄", "自拍", "拍视频", "vlog", "photography", "photo", "photos", "camera", "selfie"}},
	{Key: "outdoor", ZH: "户外", EN: "outdoor",
		Synonyms: []string{"户外", "露营", "徒步", "登山", "骑行", "野营", "outdoor", "outdoors", "hiking", "hike", "hikes", "hiker", "camping", "climbing", "cycling"}},
	{Key: "sports", ZH: "运动", EN: "sports",
		Synonyms: []string{"运动", "跑步", "球类", "篮球", "足球", "羽毛球", "游泳", "sport", "sports", "running", "runner", "runs", "marathon", "marathons", "basketball", "football", "swimming"}},
	{Key: "business", ZH: "商务", EN: "business",
		Synonyms: []string{"商务", "出差", "职场", "办公", "上班", "白领", "business", "office", "work", "professional", "commute", "commuter"}},
	{Key: "student", ZH: "学生", EN: "student",
		Synonyms: []string{"学生", "大学生", "上学", "校园", "考研", "student", "students", "college", "university", "campus"}},
	{Key: "beauty", ZH: "美妆", EN: "beauty",
		Synonyms: []string{"美妆", "化妆", "护肤", "彩妆", "美容", "beauty", "makeup", "skincare", "cosmetics"}},
	{Key: "parenting", ZH: "育儿", EN: "parenting",
		Synonyms: []string{"育儿", "宝妈", "宝爸", "带娃", "宝宝", "孩子", "母婴", "亲子", "女儿", "儿子", "parenting", "parent", "parents", "baby", "kids", "toddler", "mom", "dad"}},
	{Key: "fitness", ZH: "健身", EN: "fitness",
		Synonyms: []string{"健身", "撸铁", "瑜伽", "减脂", "增肌", "普拉提", "fitness", "gym", "yoga", "workout", "pilates"}},
	{Key: "travel", ZH: "旅行", EN: "travel",
		Synonyms: []string{"旅行", "旅游", "出行", "差旅", "自驾", "travel", "traveller", "traveler", "travelling", "traveling", "trip", "trips"}},
	{Key: "cooking", ZH: "烹饪", EN: "cooking",
		Synonyms: []string{"烹饪", "做饭", "下厨", "烘焙", "厨房", "美食", "cooking", "cook", "baking", "kitchen", "foodie"}},
	{Key: "gaming", ZH: "游戏", EN: "gaming",
		Synonyms: []string{"游戏", "电竞", "玩家", "手游", "gaming", "gamer", "games", "esports"}},
	{Key: "home", ZH: "家居", EN: "home",
		Synonyms: []string{"家居", "居家", "宅家", "收纳", "装修", "home", "homebody", "interior", "household"}},
	{Key: "fashion", ZH: "时尚", EN: "fashion",
		Synonyms: []string{"时尚", "穿搭", "潮流", "搭配", "fashion", "style", "outfit", "outfits"}},
	{Key: "coffee", ZH: "咖啡", EN: "coffee",
		Synonyms: []string{"咖啡", "拿铁", "手冲", "coffee", "latte", "espresso"}},
	{Key: "tech", ZH: "科技", EN: "tech",
		Synonyms: []string{"科技", "数码", "极客", "黑科技", "电子", "tech", "technology", "gadget", "gadgets", "geek", "digital"}},
	{Key: "music", ZH: "音乐", EN: "music",
		Synonyms: []string{"音乐", "听歌", "乐器", "hifi", "music", "audiophile", "songs"}},
	{Key: "reading", ZH: "阅读", EN: "reading",
		Synonyms: []string{"阅读", "看书", "读书", "reading", "books", "reader"}},
	{Key: "pets", ZH: "宠物", EN: "pets",
		Synonyms: []string{"宠物", "养猫", "养狗", "猫咪", "狗狗", "铲屎官", "pet", "pets", "cat", "cats", "dog", "dogs"}},
	{Key: "health", ZH: "健康", EN: "health",
		Synonyms: []string{"健康", "养生", "睡眠", "health", "healthy", "wellness", "sleep"}},
}

var interestByKey = func() map[string]*Interest {
	m := make(map[string]*Interest, len(Interests))
	for i := range Interests {
		m[Interests[i].Key] = &Interests[i]
	}
	return m
}()

// InterestByKey returns the vocabulary entry with the canonical key, and
// whether there is one.
func InterestByKey(key string) (Interest, bool) {
	in, ok := interestByKey[key]
	if !ok {
		return Interest{}, false
	}
	return *in, true
}

// surface is one synonym with the interest it maps to, longest first so that
// 大学生 wins over 学生 and "outdoors" over "outdoor".
type surface struct {
	form string
	key  string
	han  bool
}

var surfaces = func() []surface {
	var out []surface
	for _, in := range Interests {
		for _, s := range in.Synonyms {
			out = append(out, surface{form: s, key: in.Key, han: words.HasHan(s)})
		}
	}
	// stable: longer forms first, then vocabulary order
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len([]rune(out[j].form)) > len([]rune(out[j-1].form)); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}()

// NormalizeInterest maps one declared interest ("摄影", "Hiking") to its
// canonical key, or returns "" when it is not in the vocabulary.
func NormalizeInterest(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	if _, ok := interestByKey[s]; ok {
		return s
	}
	for _, in := range Interests {
		if s == strings.ToLower(in.ZH) || s == strings.ToLower(in.EN) {
			return in.Key
		}
	}
	for _, sf := range surfaces {
		if sf.form == s {
			return sf.key
		}
	}
	// a declared interest such as 户外运动 or "street photography" contains a form
	for _, sf := range surfaces {
		if containsForm(s, sf) {
			return sf.key
		}
	}
	return ""
}

func containsForm(text string, sf surface) bool {
	if sf.han {
		return strings.Contains(text, sf.form)
	}
	return words.Contains(text, sf.form)
}

// Styles are the buying motives a persona may state.
var styleForms = []struct {
	key   string
	forms []string
}{
	{"quality", []string{"品质", "质感", "高端", "讲究", "做工", "quality", "premium", "high-end", "craftsmanship", "values quality"}},
	{"value", []string{"性价比", "实惠", "划算", "省钱", "预算", "平价", "value", "budget", "affordable", "cheap", "bargain", "deal", "deals"}},
	{"trendy", []string{"潮流", "新潮", "时髦", "潮人", "trendy", "trend", "stylish", "hip"}},
	{"practical", []string{"实用", "耐用", "省心", "practical", "durable", "functional", "reliable"}},
	{"minimal", []string{"简约", "极简", "minimal", "minimalist", "simple"}},
}
