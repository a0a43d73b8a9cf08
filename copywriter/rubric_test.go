package copywriter

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

// rubricFixtures are the products the labelled variants were written for.
func rubricFixtures() map[string]*shop.Product {
	tp := testProducts()
	zh := func(id, title, brand, cat string, tags []string, attrs ...string) *shop.Product {
		p := &shop.Product{ID: id, Version: 1, Title: title, Brand: brand, Category: cat, Tags: tags, Language: shop.LanguageZH,
			Price: shop.Money{Amount: 29900, CurrencyCode: "CNY"}, Available: true}
		for i := 0; i+1 < len(attrs); i += 2 {
			p.Attributes = append(p.Attributes, shop.Attribute{Name: attrs[i], Value: attrs[i+1]})
		}
		return p
	}
	return map[string]*shop.Product{
		"robovac":    zh("rv", "科沃斯 X2 Pro 扫地机器人 标准基站", "科沃斯", "家电/扫地机器人", []string{"清洁", "智能家居"}, "基站", "标准基站", "吸力", "11000Pa", "续航", "180分钟", "避障", "AI视觉"),
		"dress":      zh("dr", "伊芙丽 针织 连衣裙 M", "伊芙丽", "服饰/连衣裙", []string{"时尚", "女装"}, "尺码", "M", "材质", "棉", "裙长", "中长款"),
		"phone":      &tp[0],
		"cup":        &tp[1],
		"headphones": &tp[2],
		"lipstick":   &tp[4],
		"kettle":     &tp[5],
		"rice":       zh("ri", "十月稻田 五常大米 2.5kg", "十月稻田", "食品/大米", []string{"粮油"}, "净含量", "2.5kg", "保质期", "12个月"),
		"tshirt":     zh("ts", "李宁 运动 T恤 M", "李宁", "服饰/T恤", []string{"夏季", "运动", "速干"}, "尺码", "M", "版型", "宽松", "颜色", "白色"),
		"formula":    zh("fo", "飞鹤 星飞帆 婴儿奶粉 0-6个月", "飞鹤", "母婴/奶粉", []string{"母婴", "婴儿"}, "适用年龄", "0-6个月", "净含量", "800g"),
		"shirt":      zh("sh", "雅戈尔 免烫 衬衫 39码", "雅戈尔", "服饰/衬衫", []string{"通勤", "商务"}, "尺码", "39码", "材质", "棉+莱赛尔", "领型", "标准领"),
		"tent":       zh("te", "牧高笛 冷山 帐篷 2人", "牧高笛", "运动户外/帐篷", []string{"户外", "露营"}, "人数", "2人", "防水", "2000mm", "重量", "1.8kg"),
		"jacket":     zh("dj", "波司登 登峰 羽绒服 L", "波司登", "服饰/羽绒服", []string{"保暖", "冬季", "户外"}, "尺码", "L", "充绒量", "200g", "含绒量", "90%"),
		"airfryer":   zh("af", "美的 KZC5501 空气炸锅 5.5L", "美的", "家电/空气炸锅", []string{"烹饪", "厨房"}, "容量", "5.5L", "功率", "1500W", "温控", "80-200℃"),
		"cream":      zh("cr", "薇诺娜 舒敏保湿特护霜 50ml", "薇诺娜", "美妆/面霜", []string{"护肤", "敏感肌"}, "容量", "50ml", "适用肤质", "敏感肌"),
		"earphone":   zh("ep", "索尼 WF-1000XM5 耳机 黑色", "索尼", "数码/耳机", []string{"蓝牙", "降噪"}, "颜色", "黑色", "续航", "8小时"),
		"stroller":   zh("st", "好孩子 口袋车 婴儿推车 灰色", "好孩子", "母婴/婴儿推车", []string{"母婴", "出行"}, "重量", "5.8kg", "适用年龄", "0-3岁"),
		"vacuum":     zh("va", "戴森 V12 Detect Slim 吸尘器 标准版", "戴森", "家电/吸尘器", []string{"清洁", "无线"}, "吸力", "150AW", "续航", "60分钟", "重量", "1.5kg"),
		"locklock":   zh("ll", "乐扣乐扣 简约 保温杯 750ml", "乐扣乐扣", "家居/杯具", []string{"保温", "便携"}, "容量", "750ml", "保温时长", "24小时"),
	}
}

type labelled struct {
	key     string
	ch      Channel
	bad     bool
	reason  string
	text    string
	flagged bool
}

func readLabelled(t *testing.T) []labelled {
	t.Helper()
	f, err := os.Open("testdata/rubric_labelled.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 || (cols[2] != "good" && cols[2] != "bad") || !Channel(cols[1]).Valid() {
			t.Fatalf("line %d: want key, channel, good|bad, reason, text: %q", n, line)
		}
		out = append(out, labelled{key: cols[0], ch: Channel(cols[1]), bad: cols[2] == "bad", reason: cols[3], text: strings.ReplaceAll(cols[4], `\n`, "\n")})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRubricOnLabelledSet measures the rubric against copy labelled by
// hand: precision (of the variants it faults, the share labelled bad) and
// recall (of the variants labelled bad, the share it faults). Precision is
// what matters for a gate: a rubric that faults good copy would make the
// writers throw good copy away.
func TestRubricOnLabelledSet(t *testing.T) {
	set := readLabelled(t)
	if len(set) < 200 {
		t.Fatalf("%d labelled variants, want at least 200", len(set))
	}
	fx := rubricFixtures()
	var tp, fp, fn, tn int
	for i := range set {
		l := &set[i]
		p, ok := fx[l.key]
		if !ok {
			t.Fatalf("no fixture %q", l.key)
		}
		v := Variant{Text: l.text}
		r := Rubric(p, p.Language, v)
		l.flagged = !r.OK()
		switch {
		case l.flagged && l.bad:
			tp++
		case l.flagged:
			fp++
			t.Errorf("good copy faulted (%s, %s): %q %v", l.key, l.reason, l.text, r.Findings())
		case l.bad:
			fn++
			t.Logf("bad copy not faulted (%s, %s): %q", l.key, l.reason, l.text)
		default:
			tn++
		}
	}
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("labelled set: %d variants (%d bad, %d good); rubric precision %.3f, recall %.3f (tp %d, fp %d, fn %d, tn %d)",
		len(set), tp+fn, fp+tn, precision, recall, tp, fp, fn, tn)
	if precision < 0.95 {
		t.Errorf("rubric precision %.3f < 0.95", precision)
	}
	if recall < 0.85 {
		t.Errorf("rubric recall %.3f < 0.85", recall)
	}
}
