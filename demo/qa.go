package demo

import (
	"fmt"

	"github.com/shopmuse/shopmuse/shop"
)

// QA is one customer-service answer of the demo shop, as a shop would
// import it (upsertProductQAs): it becomes a fact of its product. Topic
// names what it answers (warranty, inbox, compat, sizing, care, ...), so the
// assistant's evaluation can label questions from the data.
type QA struct {
	ID        string `json:"id"`
	ProductID string `json:"productID"`
	Question  string `json:"question"`
	Answer    string `json:"answer"`
	Topic     string `json:"topic"`
}

// qaTemplate is one question customer service answers for a sub-category,
// in both languages.
type qaTemplate struct {
	topic        string
	zhQ, zhA     string
	enQ, enA     string
	everyNth     int // the entry goes to products 1, 1+n, 1+2n, ...
	categoryKeys []string
}

// The answers are the kind a shop's service team writes: policy and
// contents the product listing leaves out. None contradicts a listed
// attribute.
var qaTemplates = []qaTemplate{
	{topic: "warranty", zhQ: "保修多久？", zhA: "整机享受全国联保1年，电池保修6个月，凭订单即可保修。", enQ: "How long is the warranty?", enA: "One year of nationwide warranty on the device and 6 months on the battery; your order is your proof of purchase.",
		everyNth: 5, categoryKeys: []string{"phone", "tablet", "watch"}},
	{topic: "inbox", zhQ: "包装里有充电器吗？", zhA: "包装内含主机、USB-C数据线和说明书，不含充电头。", enQ: "Is a charger included in the box?", enA: "The box holds the device, a USB-C cable and the manual; no charging adapter is included.",
		everyNth: 7, categoryKeys: []string{"phone"}},
	{topic: "compat", zhQ: "安卓手机能用吗？", zhA: "可以，支持所有带蓝牙的安卓和苹果手机，部分功能需要在官方App里设置。", enQ: "Does it work with Android phones?", enA: "Yes, it pairs with any Android phone or iPhone that has Bluetooth; some features are set up in the official app.",
		everyNth: 5, categoryKeys: []string{"earphone", "watch"}},
	{topic: "warranty", zhQ: "耳机坏了怎么保修？", zhA: "耳机享受1年保修，非人为损坏可免费维修或更换。", enQ: "What is the warranty on these headphones?", enA: "They carry a 1-year warranty; faults not caused by misuse are repaired or replaced free of charge.",
		everyNth: 7, categoryKeys: []string{"earphone"}},
	{topic: "compat", zhQ: "能给笔记本电脑充电吗？", zhA: "支持USB-C PD协议的笔记本可以充电，充电速度取决于充电宝的输出功率。", enQ: "Can it charge a laptop?", enA: "Laptops that charge over USB-C PD can be charged; the speed depends on the power bank's output.",
		everyNth: 7, categoryKeys: []string{"powerbank"}},
	{topic: "flight", zhQ: "可以带上飞机吗？", zhA: "可以随身携带登机，不能托运；额定能量在100Wh以内。", enQ: "Can I take it on a plane?", enA: "Yes, in your cabin bag, not in checked luggage; its rated energy is under 100Wh.",
		everyNth: 5, categoryKeys: []string{"powerbank"}},
	{topic: "warranty", zhQ: "保修期多长？", zhA: "整机保修2年，电机保修5年，由品牌官方售后提供服务。", enQ: "What warranty does it have?", enA: "Two years on the appliance and five on the motor, serviced by the brand's own after-sales team.",
		everyNth: 5, categoryKeys: []string{"vacuum", "robovac", "hairdryer"}},
	{topic: "inbox", zhQ: "送什么配件？", zhA: "标配地板刷、缝隙吸头、二合一刷头和壁挂架。", enQ: "What accessories come with it?", enA: "It comes with a floor head, a crevice tool, a 2-in-1 brush and a wall dock.",
		everyNth: 5, categoryKeys: []string{"vacuum"}},
	{topic: "care", zhQ: "内胆可以用洗碗机洗吗？", zhA: "炸篮和内胆可以放入洗碗机清洗，机身请用湿布擦拭。", enQ: "Is the basket dishwasher safe?", enA: "The basket and the pan can go in the dishwasher; wipe the body with a damp cloth.",
		everyNth: 5, categoryKeys: []string{"airfryer"}},
	{topic: "compat", zhQ: "电磁炉能用吗？", zhA: "请以商品的适用炉具为准：标注燃气灶和电磁炉通用的可以在电磁炉上使用。", enQ: "Does it work on induction?", enA: "Check the hob listed for the product: pans marked for gas and induction work on induction hobs.",
		everyNth: 7, categoryKeys: []string{"wok"}},
	{topic: "care", zhQ: "第一次用需要开锅吗？", zhA: "第一次使用前用温水清洗擦干即可，铸铁锅建议薄涂一层食用油养锅。", enQ: "Does it need seasoning before first use?", enA: "Wash it in warm water and dry it before first use; cast iron is best given a thin coat of cooking oil.",
		everyNth: 5, categoryKeys: []string{"wok"}},
	{topic: "sizing", zhQ: "尺码偏大还是偏小？", zhA: "版型标准，按平时尺码选择即可；喜欢宽松可以选大一码。", enQ: "Does it run large or small?", enA: "It runs true to size; size up if you like a looser fit.",
		everyNth: 5, categoryKeys: []string{"downjacket", "tshirt", "jeans", "dress", "shirt", "shell"}},
	{topic: "care", zhQ: "可以机洗吗？", zhA: "建议冷水手洗或洗衣机轻柔模式，不可漂白，低温熨烫。", enQ: "Can I machine wash it?", enA: "Hand wash cold or use the machine's gentle cycle; do not bleach; iron on low heat.",
		everyNth: 7, categoryKeys: []string{"tshirt", "dress", "shirt", "jeans"}},
	{topic: "sizing", zhQ: "鞋码正吗？", zhA: "鞋码标准，脚背高或脚宽的顾客建议选大半码。", enQ: "Do the shoes run true to size?", enA: "They run true to size; if you have a high instep or wide feet, go half a size up.",
		everyNth: 5, categoryKeys: []string{"runshoe", "bballshoe"}},
	{topic: "allergy", zhQ: "孕妇可以用吗？", zhA: "产品经过皮肤刺激性测试，孕期使用前建议先咨询医生，并在耳后试用。", enQ: "Is it safe to use during pregnancy?", enA: "It has passed skin irritation testing; during pregnancy please ask your doctor first and patch-test behind the ear.",
		everyNth: 5, categoryKeys: []string{"cream", "serum"}},
	{topic: "authentic", zhQ: "是正品吗？", zhA: "品牌官方授权，支持专柜验货，每件商品附防伪码。", enQ: "Is it authentic?", enA: "We are an authorised seller; every item carries an anti-counterfeit code you can check at a counter.",
		everyNth: 7, categoryKeys: []string{"lipstick", "perfume", "foundation"}},
	{topic: "storage", zhQ: "开封后怎么保存？", zhA: "开封后请密封，放在阴凉干燥处，并尽快食用。", enQ: "How should I store it after opening?", enA: "Reseal it after opening, keep it somewhere cool and dry, and finish it soon.",
		everyNth: 5, categoryKeys: []string{"nuts", "coffee", "tea", "rice"}},
	{topic: "storage", zhQ: "需要冷藏吗？", zhA: "未开封常温保存即可，开封后请冷藏并在24小时内喝完。", enQ: "Does it need to be refrigerated?", enA: "Unopened it keeps at room temperature; once opened refrigerate it and finish it within 24 hours.",
		everyNth: 5, categoryKeys: []string{"milk"}},
	{topic: "formula", zhQ: "转奶需要注意什么？", zhA: "建议用7天左右逐步转奶，每天替换一顿，宝宝有不适请咨询儿科医生。", enQ: "How do I switch my baby to this formula?", enA: "Switch gradually over about 7 days, replacing one feed a day; ask your paediatrician if your baby shows discomfort.",
		everyNth: 5, categoryKeys: []string{"formula"}},
	{topic: "travel", zhQ: "可以带上飞机吗？", zhA: "可以折叠后放进登机箱尺寸的空间，具体以航空公司规定为准。", enQ: "Can I take it on a plane?", enA: "It folds to fit cabin-size overhead space; check your airline's rules.",
		everyNth: 7, categoryKeys: []string{"stroller"}},
	{topic: "care", zhQ: "可以用开水烫洗消毒吗？", zhA: "可以煮沸或蒸汽消毒，奶嘴建议每2个月更换一次。", enQ: "Can I sterilise it in boiling water?", enA: "Yes, boil or steam it; replace the teat every 2 months.",
		everyNth: 7, categoryKeys: []string{"bottle"}},
	{topic: "usage", zhQ: "可以装牛奶或果汁吗？", zhA: "建议只装水和茶，牛奶、果汁等饮品容易变质，也不宜长时间存放。", enQ: "Can I put milk or juice in it?", enA: "Water and tea are best; milk and juice spoil and should not be kept in it for long.",
		everyNth: 5, categoryKeys: []string{"cup"}},
	{topic: "warranty", zhQ: "保修吗？", zhA: "杯身保温性能保修1年，杯盖密封圈等配件可单独购买。", enQ: "Is there a warranty?", enA: "Heat retention is guaranteed for 1 year; seals and lids can be bought separately.",
		everyNth: 7, categoryKeys: []string{"cup"}},
	{topic: "inbox", zhQ: "帐篷包含地钉吗？", zhA: "标配地钉、风绳和收纳袋，地垫需要单独购买。", enQ: "Are tent pegs included?", enA: "Pegs, guy lines and a carry bag are included; the footprint is sold separately.",
		everyNth: 7, categoryKeys: []string{"tent"}},
	{topic: "care", zhQ: "第一次洗会掉色吗？", zhA: "深色款首次洗涤可能轻微浮色，建议单独冷水洗涤。", enQ: "Will the colour run in the wash?", enA: "Dark colours may bleed slightly the first time; wash them separately in cold water.",
		everyNth: 5, categoryKeys: []string{"bedding"}},
}

// QAs returns the demo shop's customer-service Q&A entries for the products
// of Generate: the service seeds them with the demo (upsertProductQAs), and
// the assistant evaluation reads them as facts.
func QAs() []QA {
	products := catalogue()
	byCat := map[string][]shop.ProductInput{}
	for _, p := range products {
		key := skuKey(p.ID)
		byCat[key] = append(byCat[key], p)
	}
	var out []QA
	for ti, t := range qaTemplates {
		for _, key := range t.categoryKeys {
			for i, p := range byCat[key] {
				if i%t.everyNth != 0 {
					continue
				}
				q, a := t.zhQ, t.zhA
				if p.Language != nil && *p.Language == shop.LanguageEN {
					q, a = t.enQ, t.enA
				}
				out = append(out, QA{ID: fmt.Sprintf("qa-%s-%02d", p.ID, ti), ProductID: p.ID, Question: q, Answer: a, Topic: t.topic})
			}
		}
	}
	return out
}

// skuKey is the category key of a demo SKU: phone of sku-phone-0001.
func skuKey(id string) string {
	var key string
	if n, err := fmt.Sscanf(id, "sku-%s", &key); n != 1 || err != nil {
		return ""
	}
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '-' {
			return key[:i]
		}
	}
	return key
}

// Noun is what shoppers call the products of a category, in both languages.
type Noun struct{ ZH, EN string }

// CategoryNouns maps each category path of the demo catalogue to its noun:
// 数码/手机 → 手机, Smartphone. Question sets are written with them.
func CategoryNouns() map[string]Noun {
	out := map[string]Noun{}
	for _, t := range templates {
		out[t.path] = Noun{ZH: t.zh, EN: t.en}
	}
	return out
}

// BrandPairs lists the demo brands sold under two names (华为 and Huawei).
func BrandPairs() [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, t := range templates {
		for _, ml := range parseBrands(t.brands) {
			if ml.brandEN && !seen[ml.brand.zh] {
				seen[ml.brand.zh] = true
				out = append(out, [2]string{ml.brand.zh, ml.brand.en})
			}
		}
	}
	return out
}

// TagWords maps each demo tag to the English word English listings carry.
func TagWords() map[string]string {
	out := make(map[string]string, len(tagEN))
	for k, v := range tagEN {
		out[k] = v
	}
	return out
}
