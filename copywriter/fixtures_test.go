package copywriter

import (
	"github.com/shopmuse/shopmuse/shop"
)

func intp(i int) *int { return &i }

func gender(g shop.Gender) *shop.Gender { return &g }

// testProducts are realistic listings: a Chinese phone with specs in the
// title and a promotion, a Chinese insulated bottle, an English headphone
// listing, a sparse Chinese listing with hardly any facts, a Chinese lipstick
// and an English kettle with a description that itself makes a barred claim.
func testProducts() []shop.Product {
	return []shop.Product{
		{
			ID: "HW-P50PRO", Version: 3, Title: "华为 P50 Pro 5G手机 6.6英寸OLED屏幕 4400mAh", Brand: "华为", Category: "数码/手机",
			Description: "5G手机,6.6英寸OLED屏幕,4400mAh大电池,麒麟9000处理器,双摄影像系统",
			Attributes: []shop.Attribute{
				{Name: "屏幕尺寸", Value: "6.6英寸"}, {Name: "电池容量", Value: "4400mAh"}, {Name: "主摄像头", Value: "5000万像素"},
				{Name: "处理器", Value: "麒麟9000"}, {Name: "存储", Value: "256GB"}, {Name: "重量", Value: "195克"}, {Name: "颜色", Value: "曜金黑"},
			},
			Price: shop.Money{Amount: 599900, CurrencyCode: "CNY"}, Promotion: "限时优惠,下单立减300元", Language: shop.LanguageZH, Available: true,
		},
		{
			ID: "THERMOS-500", Version: 1, Title: "膳魔师 真空保温杯 500ml 不锈钢", Brand: "膳魔师", Category: "家居/杯具/保温杯",
			Description: "双层真空结构，保温保冷，一键开盖，适合通勤和户外",
			Attributes: []shop.Attribute{
				{Name: "容量", Value: "500ml"}, {Name: "材质", Value: "316不锈钢"}, {Name: "保温时长", Value: "12小时"}, {Name: "重量", Value: "220克"},
			},
			Price: shop.Money{Amount: 15900, CurrencyCode: "CNY"}, Promotion: "满199减20", Language: shop.LanguageZH, Available: true,
		},
		{
			ID: "SONY-WH1000XM5", Version: 2, Title: "Sony WH-1000XM5 Wireless Noise Cancelling Headphones", Brand: "Sony", Category: "Electronics/Audio/Headphones",
			Description: "Wireless over-ear headphones with adaptive noise cancelling. Up to 30 hours of battery life. Quick charging gives 3 hours of playback from 3 minutes.",
			Attributes: []shop.Attribute{
				{Name: "Battery life", Value: "30 hours"}, {Name: "Weight", Value: "250g"}, {Name: "Driver", Value: "30mm"},
				{Name: "Noise cancelling", Value: "Adaptive, 8 microphones"}, {Name: "Bluetooth", Value: "5.2"}, {Name: "Colour", Value: "Black"},
			},
			Price: shop.Money{Amount: 39999, CurrencyCode: "USD"}, Language: shop.LanguageEN, Available: true,
		},
		{
			ID: "SPARSE-1", Version: 1, Title: "手工陶瓷马克杯", Category: "家居/杯具",
			Price: shop.Money{Amount: 5990, CurrencyCode: "CNY"}, Language: shop.LanguageZH, Available: true,
		},
		{
			ID: "LIP-01", Version: 5, Title: "完美日记 小细跟口红 丝绒哑光", Brand: "完美日记", Category: "美妆/彩妆/口红",
			Description: "丝绒哑光质地，显色持久，最好用的口红", // the seller's own barred claim must not leak
			Attributes:  []shop.Attribute{{Name: "色号", Value: "V03 复古红"}, {Name: "净含量", Value: "3.5克"}, {Name: "质地", Value: "哑光"}},
			Price:       shop.Money{Amount: 8990, CurrencyCode: "CNY"}, Promotion: "第二支半价", Language: shop.LanguageZH, Available: true,
		},
		{
			ID: "KETTLE-EN", Version: 1, Title: "Electric Kettle 1.7L Stainless Steel", Brand: "Acme", Category: "Home/Kitchen/Kettles",
			Description: "The best kettle you will ever own. Boils 1.7 litres in about 4 minutes. Auto shut-off and boil-dry protection.",
			Attributes:  []shop.Attribute{{Name: "Capacity", Value: "1.7L"}, {Name: "Power", Value: "2200W"}, {Name: "Material", Value: "Stainless steel"}},
			Price:       shop.Money{Amount: 3499, CurrencyCode: "USD"}, Promotion: "Free shipping over $50", Language: shop.LanguageEN, Available: true,
		},
	}
}
