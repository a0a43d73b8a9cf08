package copywriter

import (
	"strings"

	"github.com/shopmuse/shopmuse/internal/words"
)

// brandPair names a brand in both languages. Brand knowledge serves two ends:
// English copy for a Chinese listing can name 华为 as Huawei, and the
// faithfulness check can tell when copy names a brand the product is not.
type brandPair struct {
	zh, en string
	// zhAmbiguous: the Chinese name is also a common word (小米 millet, 苹果
	// apple, 美的 beautiful), so it is not evidence of a brand claim.
	zhAmbiguous bool
}

var brands = []brandPair{
	{zh: "华为", en: "Huawei"}, {zh: "小米", en: "Xiaomi", zhAmbiguous: true}, {zh: "苹果", en: "Apple", zhAmbiguous: true},
	{zh: "荣耀", en: "Honor", zhAmbiguous: true}, {zh: "一加", en: "OnePlus"}, {zh: "三星", en: "Samsung"},
	{zh: "索尼", en: "Sony"}, {zh: "联想", en: "Lenovo", zhAmbiguous: true}, {zh: "戴尔", en: "Dell"},
	{zh: "惠普", en: "HP"}, {zh: "华硕", en: "ASUS"}, {zh: "佳能", en: "Canon"}, {zh: "尼康", en: "Nikon"},
	{zh: "大疆", en: "DJI"}, {zh: "膳魔师", en: "Thermos"}, {zh: "象印", en: "Zojirushi"}, {zh: "虎牌", en: "Tiger"},
	{zh: "美的", en: "Midea", zhAmbiguous: true}, {zh: "海尔", en: "Haier"}, {zh: "格力", en: "Gree"},
	{zh: "戴森", en: "Dyson"}, {zh: "飞利浦", en: "Philips"}, {zh: "博世", en: "Bosch"}, {zh: "松下", en: "Panasonic"},
	{zh: "耐克", en: "Nike"}, {zh: "阿迪达斯", en: "Adidas"}, {zh: "李宁", en: "Li-Ning"}, {zh: "安踏", en: "Anta"},
	{zh: "优衣库", en: "Uniqlo"}, {zh: "雅诗兰黛", en: "Estée Lauder"}, {zh: "兰蔻", en: "Lancôme"},
	{zh: "欧莱雅", en: "L'Oréal"}, {zh: "资生堂", en: "Shiseido"}, {zh: "完美日记", en: "Perfect Diary"},
	{zh: "花西子", en: "Florasis"}, {zh: "雀巢", en: "Nestlé"}, {zh: "星巴克", en: "Starbucks"},
	{zh: "乐高", en: "LEGO"}, {zh: "任天堂", en: "Nintendo"}, {zh: "微软", en: "Microsoft"},
	{zh: "罗技", en: "Logitech"}, {zh: "漫步者", en: "Edifier"}, {zh: "博士", en: "Bose", zhAmbiguous: true},
	{zh: "森海塞尔", en: "Sennheiser"}, {zh: "OPPO", en: "OPPO"}, {zh: "vivo", en: "vivo"},
	{zh: "好孩子", en: "Goodbaby", zhAmbiguous: true}, {zh: "贝亲", en: "Pigeon"}, {zh: "飞鹤", en: "Feihe"},
	{zh: "九阳", en: "Joyoung"}, {zh: "苏泊尔", en: "Supor"}, {zh: "北面", en: "The North Face", zhAmbiguous: true},
	{zh: "始祖鸟", en: "Arcteryx"}, {zh: "迪卡侬", en: "Decathlon"}, {zh: "特斯拉", en: "Tesla"},
}

// brandEN returns the English name of a brand, or "" when the brand is Han
// and unknown (English copy then names the product without it).
func brandEN(b string) string {
	b = strings.TrimSpace(b)
	if b == "" || !words.HasHan(b) {
		return b
	}
	for _, bp := range brands {
		if bp.zh == b {
			return bp.en
		}
	}
	return ""
}

// brandZH returns the brand as Chinese copy writes it: the Chinese name when
// known, else as given (Sony stays Sony in Chinese copy, as shops write it).
func brandZH(b string) string {
	b = strings.TrimSpace(b)
	for _, bp := range brands {
		if strings.EqualFold(bp.en, b) {
			return bp.zh
		}
	}
	return b
}

// otherBrands lists known brands the text names that the facts do not.
// English names are matched case-sensitively as whole words ("apple" in a
// recipe is fruit); Chinese names as substrings unless ambiguous.
func otherBrands(text string, fs *factSet) []string {
	if len(fs.foreignBrands) == 0 {
		return nil
	}
	var tokens map[string]bool // built only when a brand's English name occurs at all
	tokenize := func() {
		tokens = map[string]bool{}
		start := -1
		for i := 0; i <= len(text); i++ {
			if i < len(text) && (words.IsWordByte(text[i]) || text[i] == '-' && start >= 0) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				tokens[text[start:i]] = true
				start = -1
			}
		}
	}
	han := words.HasHan(text)
	var out []string
	for _, bp := range fs.foreignBrands {
		if han && !bp.zhAmbiguous && strings.Contains(text, bp.zh) {
			out = append(out, bp.zh)
			continue
		}
		if !strings.Contains(text, bp.en) {
			continue
		}
		if tokens == nil {
			tokenize()
		}
		switch {
		case tokens[bp.en]:
			out = append(out, bp.en)
		case strings.ContainsAny(bp.en, " 'é") && words.Index(text, bp.en) >= 0:
			out = append(out, bp.en)
		}
	}
	return out
}

// termPair is a noun in both languages.
type termPair struct{ zh, en string }

// categoryNouns name a product by its category when its title cannot be
// used (English copy of a Chinese listing). Matched against category
// segments, most specific first.
var categoryNouns = []termPair{
	{"智能手表", "smartwatch"}, {"手表", "watch"}, {"手机", "phone"}, {"耳机", "headphones"}, {"音箱", "speaker"},
	{"笔记本", "laptop"}, {"电脑", "computer"}, {"平板", "tablet"}, {"相机", "camera"}, {"无人机", "drone"},
	{"充电宝", "power bank"}, {"显示器", "monitor"}, {"键盘", "keyboard"}, {"鼠标", "mouse"},
	{"保温杯", "insulated bottle"}, {"水杯", "bottle"}, {"杯", "cup"}, {"锅", "pan"}, {"咖啡机", "coffee machine"}, {"电水壶", "electric kettle"}, {"水壶", "kettle"},
	{"电饭煲", "rice cooker"}, {"空气炸锅", "air fryer"}, {"吸尘器", "vacuum cleaner"}, {"吹风机", "hair dryer"},
	{"口红", "lipstick"}, {"面霜", "face cream"}, {"精华", "serum"}, {"面膜", "face mask"}, {"防晒", "sunscreen"},
	{"香水", "perfume"}, {"洗面奶", "cleanser"}, {"护肤", "skincare"}, {"彩妆", "makeup"},
	{"扫地机器人", "robot vacuum"}, {"空气净化器", "air purifier"}, {"粉底液", "foundation"}, {"床品四件套", "bedding set"},
	{"羽绒服", "down jacket"}, {"连衣裙", "dress"}, {"衬衫", "shirt"}, {"牛仔裤", "jeans"}, {"篮球鞋", "basketball shoes"},
	{"婴儿推车", "stroller"}, {"奶瓶", "baby bottle"}, {"收纳箱", "storage box"}, {"牛奶", "milk"}, {"大米", "rice"}, {"坚果", "nuts"}, {"茶叶", "tea"},
	{"跑鞋", "running shoes"}, {"运动鞋", "trainers"}, {"鞋", "shoes"}, {"冲锋衣", "shell jacket"}, {"外套", "jacket"},
	{"T恤", "T-shirt"}, {"卫衣", "hoodie"}, {"裤", "trousers"}, {"裙", "dress"}, {"背包", "backpack"}, {"包", "bag"},
	{"帐篷", "tent"}, {"睡袋", "sleeping bag"}, {"瑜伽垫", "yoga mat"}, {"哑铃", "dumbbells"},
	{"奶粉", "formula milk"}, {"纸尿裤", "nappies"}, {"婴儿车", "pram"}, {"玩具", "toy"}, {"积木", "building set"},
	{"咖啡", "coffee"}, {"茶", "tea"}, {"零食", "snacks"}, {"图书", "book"}, {"书", "book"},
	{"宠物", "pet supplies"}, {"猫粮", "cat food"}, {"狗粮", "dog food"},
	{"家具", "furniture"}, {"灯", "lamp"}, {"床品", "bedding"}, {"收纳", "storage box"},
}

// categoryNoun returns the product noun for a category path in a language, or "".
func categoryNoun(category string, en bool) string {
	segs := strings.Split(category, "/")
	for i := len(segs) - 1; i >= 0; i-- {
		s := strings.TrimSpace(segs[i])
		for _, t := range categoryNouns {
			if strings.Contains(s, t.zh) || strings.EqualFold(s, t.en) || strings.Contains(strings.ToLower(s), t.en) {
				if en {
					return t.en
				}
				return t.zh
			}
		}
	}
	return ""
}

// attrNames translates common attribute names, so a Chinese listing's 续航
// can be sold in English and an English listing's "Battery life" in Chinese.
var attrNames = []termPair{
	{"电池容量", "battery"}, {"电池", "battery"}, {"续航", "battery life"}, {"屏幕尺寸", "screen size"}, {"屏幕", "screen"},
	{"摄像头", "camera"}, {"主摄", "main camera"}, {"像素", "resolution"}, {"传感器", "sensor"}, {"镜头", "lens"},
	{"处理器", "processor"}, {"芯片", "chip"}, {"内存", "memory"}, {"存储", "storage"}, {"网络", "network"},
	{"重量", "weight"}, {"尺寸", "size"}, {"容量", "capacity"}, {"材质", "material"}, {"面料", "fabric"},
	{"颜色", "colour"}, {"防水", "water resistance"}, {"保温", "heat retention"}, {"保冷", "cold retention"},
	{"功率", "power"}, {"降噪", "noise cancelling"}, {"充电", "charging"}, {"刷新率", "refresh rate"},
	{"成分", "ingredients"}, {"功效", "benefits"}, {"适用肤质", "skin type"}, {"净含量", "net content"},
	{"适用年龄", "suitable age"}, {"安全", "safety"}, {"认证", "certification"}, {"产地", "origin"},
	{"保修", "warranty"}, {"接口", "ports"}, {"蓝牙", "Bluetooth"}, {"音质", "sound"}, {"驱动单元", "driver"},
}

// attrName returns an attribute's name in the copy's language, or "" when
// it cannot be said in that language.
func attrName(name string, en bool) string {
	han := words.HasHan(name)
	if en != han { // already in the right language
		return name
	}
	low := strings.ToLower(name)
	best, bestLen := "", 0
	for _, t := range attrNames {
		if en && strings.Contains(name, t.zh) {
			return t.en
		}
		// the longest English match wins: "battery life" is 续航, not 电池
		if !en && len(t.en) > bestLen && strings.Contains(low, strings.ToLower(t.en)) {
			best, bestLen = t.zh, len(t.en)
		}
	}
	return best
}
