package copywriter

import "strings"

// Interest is one entry of the canonical interest vocabulary. Free-text and
// declared interests are mapped onto these keys so that personas, segments and
// selling-point selection speak one language.
type Interest struct {
	Key string // stable English key: "photography"
	ZH  string // 拍照
	EN  string // photography
	// synonyms are lower-case surface forms found in free text (ZH and EN).
	synonyms []string
	// attrs are lower-case fragments of attribute names (ZH and EN) that carry
	// the selling points this interest cares about.
	attrs []string
	// zhFor / enFor address the reader: "写给爱拍照的你" / "for anyone who loves photography".
	zhFor, enFor string
}

// Interests is the canonical vocabulary, in priority order: when a persona
// names several, the first one listed here that it names is its top interest
// only if the persona did not order them itself.
var Interests = []Interest{
	{Key: "photography", ZH: "拍照", EN: "photography",
		synonyms: []string{"拍照", "摄影", "拍摄", "自拍", "拍视频", "vlog", "photography", "photo", "photos", "camera", "selfie"},
		attrs:    []string{"摄像", "像素", "传感器", "镜头", "光圈", "影像", "相机", "变焦", "camera", "megapixel", "sensor", "lens", "aperture", "zoom"},
		zhFor:    "爱拍照的你", enFor: "anyone who loves taking photos"},
	{Key: "outdoor", ZH: "户外", EN: "outdoor",
		synonyms: []string{"户外", "露营", "徒步", "登山", "骑行", "野营", "outdoor", "outdoors", "hiking", "hike", "hikes", "hiker", "camping", "climbing", "cycling"},
		attrs:    []string{"续航", "电池", "电量", "防水", "防尘", "重量", "保温", "保冷", "容量", "battery", "waterproof", "water resistance", "weight", "insulation", "capacity"},
		zhFor:    "热爱户外的你", enFor: "anyone who spends weekends outdoors"},
	{Key: "sports", ZH: "运动", EN: "sports",
		synonyms: []string{"运动", "跑步", "球类", "篮球", "足球", "羽毛球", "游泳", "sport", "sports", "running", "runner", "runs", "marathon", "marathons", "basketball", "football", "swimming"},
		attrs:    []string{"重量", "防水", "续航", "心率", "透气", "缓震", "材质", "weight", "waterproof", "battery", "heart rate", "breathable", "cushioning"},
		zhFor:    "爱运动的你", enFor: "anyone who keeps moving"},
	{Key: "business", ZH: "商务", EN: "business",
		synonyms: []string{"商务", "出差", "职场", "办公", "上班", "白领", "business", "office", "work", "professional", "commute", "commuter"},
		attrs:    []string{"性能", "处理器", "芯片", "内存", "材质", "做工", "续航", "降噪", "performance", "processor", "chip", "memory", "ram", "material", "battery", "noise"},
		zhFor:    "忙碌的职场人", enFor: "busy professionals"},
	{Key: "student", ZH: "学生", EN: "student",
		synonyms: []string{"学生", "大学生", "上学", "校园", "考研", "student", "students", "college", "university", "campus"},
		attrs:    []string{"价格", "内存", "存储", "续航", "重量", "price", "storage", "memory", "battery", "weight"},
		zhFor:    "在校的你", enFor: "students"},
	{Key: "beauty", ZH: "美妆", EN: "beauty",
		synonyms: []string{"美妆", "化妆", "护肤", "彩妆", "美容", "beauty", "makeup", "skincare", "cosmetics"},
		attrs:    []string{"成分", "功效", "肤质", "质地", "色号", "净含量", "ingredient", "benefit", "skin type", "texture", "shade", "volume"},
		zhFor:    "爱美的你", enFor: "skincare lovers"},
	{Key: "parenting", ZH: "育儿", EN: "parenting",
		synonyms: []string{"育儿", "宝妈", "宝爸", "带娃", "宝宝", "孩子", "母婴", "亲子", "女儿", "儿子", "parenting", "parent", "parents", "baby", "kids", "toddler", "mom", "dad"},
		attrs:    []string{"适用年龄", "年龄", "安全", "材质", "认证", "age", "safety", "material", "certified", "certification"},
		zhFor:    "用心带娃的你", enFor: "parents"},
	{Key: "fitness", ZH: "健身", EN: "fitness",
		synonyms: []string{"健身", "撸铁", "瑜伽", "减脂", "增肌", "普拉提", "fitness", "gym", "yoga", "workout", "pilates"},
		attrs:    []string{"心率", "防水", "重量", "续航", "蛋白", "弹性", "heart rate", "waterproof", "weight", "battery", "protein", "stretch"},
		zhFor:    "坚持健身的你", enFor: "anyone who trains regularly"},
	{Key: "travel", ZH: "旅行", EN: "travel",
		synonyms: []string{"旅行", "旅游", "出行", "差旅", "自驾", "travel", "traveller", "traveler", "travelling", "traveling", "trip", "trips"},
		attrs:    []string{"重量", "尺寸", "续航", "降噪", "容量", "折叠", "weight", "size", "battery", "noise", "capacity", "foldable"},
		zhFor:    "常在路上的你", enFor: "frequent travellers"},
	{Key: "cooking", ZH: "烹饪", EN: "cooking",
		synonyms: []string{"烹饪", "做饭", "下厨", "烘焙", "厨房", "美食", "cooking", "cook", "baking", "kitchen", "foodie"},
		attrs:    []string{"功率", "容量", "材质", "涂层", "温度", "power", "capacity", "material", "coating", "temperature"},
		zhFor:    "爱下厨的你", enFor: "home cooks"},
	{Key: "gaming", ZH: "游戏", EN: "gaming",
		synonyms: []string{"游戏", "电竞", "玩家", "手游", "gaming", "gamer", "games", "esports"},
		attrs:    []string{"刷新率", "处理器", "芯片", "内存", "散热", "延迟", "屏幕", "refresh", "processor", "chip", "memory", "cooling", "latency", "display", "screen"},
		zhFor:    "爱打游戏的你", enFor: "gamers"},
	{Key: "home", ZH: "家居", EN: "home",
		synonyms: []string{"家居", "居家", "宅家", "收纳", "装修", "home", "homebody", "interior", "household"},
		attrs:    []string{"材质", "尺寸", "容量", "功率", "噪音", "material", "size", "capacity", "power", "noise"},
		zhFor:    "用心经营小家的你", enFor: "anyone making a home"},
	{Key: "fashion", ZH: "时尚", EN: "fashion",
		synonyms: []string{"时尚", "穿搭", "潮流", "搭配", "fashion", "style", "outfit", "outfits"},
		attrs:    []string{"颜色", "配色", "材质", "面料", "款式", "版型", "color", "colour", "material", "fabric", "fit"},
		zhFor:    "讲究穿搭的你", enFor: "the style-conscious"},
	{Key: "coffee", ZH: "咖啡", EN: "coffee",
		synonyms: []string{"咖啡", "拿铁", "手冲", "coffee", "latte", "espresso"},
		attrs:    []string{"保温", "容量", "材质", "产地", "烘焙", "insulation", "capacity", "material", "origin", "roast"},
		zhFor:    "离不开咖啡的你", enFor: "coffee lovers"},
	{Key: "tech", ZH: "科技", EN: "tech",
		synonyms: []string{"科技", "数码", "极客", "黑科技", "电子", "tech", "technology", "gadget", "gadgets", "geek", "digital"},
		attrs:    []string{"处理器", "芯片", "屏幕", "网络", "接口", "蓝牙", "processor", "chip", "display", "screen", "network", "bluetooth", "port"},
		zhFor:    "爱尝鲜的数码玩家", enFor: "tech enthusiasts"},
	{Key: "music", ZH: "音乐", EN: "music",
		synonyms: []string{"音乐", "听歌", "乐器", "hifi", "music", "audiophile", "songs"},
		attrs:    []string{"音质", "降噪", "单元", "续航", "蓝牙", "sound", "noise", "driver", "battery", "bluetooth", "codec"},
		zhFor:    "爱听歌的你", enFor: "music lovers"},
	{Key: "reading", ZH: "阅读", EN: "reading",
		synonyms: []string{"阅读", "看书", "读书", "reading", "books", "reader"},
		attrs:    []string{"屏幕", "护眼", "重量", "容量", "screen", "eye", "weight", "storage"},
		zhFor:    "爱读书的你", enFor: "readers"},
	{Key: "pets", ZH: "宠物", EN: "pets",
		synonyms: []string{"宠物", "养猫", "养狗", "猫咪", "狗狗", "铲屎官", "pet", "pets", "cat", "cats", "dog", "dogs"},
		attrs:    []string{"适用", "材质", "成分", "安全", "suitable", "material", "ingredient", "safety"},
		zhFor:    "家有毛孩子的你", enFor: "pet owners"},
	{Key: "health", ZH: "健康", EN: "health",
		synonyms: []string{"健康", "养生", "睡眠", "health", "healthy", "wellness", "sleep"},
		attrs:    []string{"成分", "材质", "认证", "监测", "ingredient", "material", "certified", "monitoring"},
		zhFor:    "注重健康的你", enFor: "the health-minded"},
}

var interestByKey = func() map[string]*Interest {
	m := make(map[string]*Interest, len(Interests))
	for i := range Interests {
		m[Interests[i].Key] = &Interests[i]
	}
	return m
}()

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
		for _, s := range in.synonyms {
			out = append(out, surface{form: s, key: in.Key, han: hasHan(s)})
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
	return containsWord(text, sf.form)
}

// containsWord reports whether the lower-case text contains w as whole words.
func containsWord(text, w string) bool {
	for from := 0; ; {
		i := strings.Index(text[from:], w)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(w)
		if (i == 0 || !isWordByte(text[i-1])) && (end == len(text) || !isWordByte(text[end])) {
			return true
		}
		from = i + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
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
