package demo

// The catalogue is written here as compact per-sub-category templates rather
// than as 300-odd literal products: brand × model line × variant gives the
// variety, and the templates stay short enough to review by eye. Everything
// below is our own wording; no third-party data.
//
// Mini-syntax (parsed once, see catalog.go):
//
//	brands:   "中文名|English: line=price#tag+tag, line2|English line=price; next brand…"
//	          a brand without |English is sold only with Chinese listings;
//	          a line without |English uses the same name in English listings.
//	variants: "value|English=extra price#tag; …" — values of the variant attribute.
//	attrs:    "名称|Name: value|English#tag; value2; …" — one value is picked per product.
//
// Tags are written once, in Chinese: they are shared filter keys like the
// category paths (English listings carry them plus the English word, see tagEN).

type template struct {
	path, key   string // category path and the short key used in SKU IDs
	zh, en      string // product noun
	n           int    // products to generate (≤ model lines × variants)
	tags        string // tags every product of the sub-category carries
	brands      string
	variantAttr string // attribute the variant sets, "名称|Name"; empty for none
	variants    string
	attrs       []string
}

var templates = []template{
	// 数码
	{path: "数码/手机", key: "phone", zh: "手机", en: "Smartphone", n: 14, tags: "5G",
		brands: "华为|Huawei: Mate 60 Pro=6499#商务, nova 12=2699#拍照, Pura 70=5499#拍照; " +
			"小米|Xiaomi: 14=3999#拍照, Redmi K70=2499#游戏, Redmi Note 13=1299#学生; " +
			"Apple|Apple: iPhone 15=5999, iPhone 15 Pro=7999#拍照; OPPO|OPPO: Find X7=3999#拍照, Reno 11=2499#轻薄; " +
			"vivo|vivo: X100=3999#拍照, S18=2299#学生; 三星|Samsung: Galaxy S24=5999#商务",
		variantAttr: "存储|Storage", variants: "8GB+256GB=0; 12GB+256GB=300; 12GB+512GB=800",
		attrs: []string{
			"屏幕|Screen: 6.1英寸|6.1 in; 6.36英寸|6.36 in; 6.7英寸|6.7 in#大屏",
			"电池|Battery: 3349mAh; 4600mAh; 5000mAh#长续航; 5500mAh#长续航",
			"摄像头|Camera: 4800万像素|48MP; 5000万像素|50MP#拍照; 2亿像素|200MP#拍照",
			"防水|Water resistance: IP54; IP68#防水",
			"重量|Weight: 171g#轻薄; 187g; 209g",
		}},
	{path: "数码/耳机", key: "earphone", zh: "耳机", en: "Headphones", n: 12, tags: "蓝牙",
		brands: "索尼|Sony: WH-1000XM5=2499#降噪, WF-1000XM5=1799#降噪, WH-CH520=399#学生; " +
			"Apple|Apple: AirPods Pro 2=1899#降噪, AirPods 4=999; 华为|Huawei: FreeBuds Pro 3=1299#降噪, FreeBuds SE 2=199#学生; " +
			"Bose|Bose: QuietComfort Ultra=2999#降噪; 小米|Xiaomi: Buds 4 Pro=899#降噪; 漫步者|Edifier: W820NB=299#降噪+学生",
		variantAttr: "颜色|Color", variants: "黑色|Black; 白色|White; 蓝色|Blue",
		attrs: []string{
			"续航|Battery life: 6小时|6 h; 8小时|8 h; 30小时|30 h#长续航",
			"蓝牙|Bluetooth: 5.3; 5.4",
			"防水|Water resistance: IPX4#运动; IP54#运动",
		}},
	{path: "数码/相机", key: "camera", zh: "微单相机", en: "Mirrorless camera", n: 8, tags: "拍照+旅行",
		brands: "索尼|Sony: A7 IV=15999, ZV-E10=4999#vlog; 佳能|Canon: EOS R6 Mark II=14999, EOS R50=4999#学生; " +
			"尼康|Nikon: Z6 III=15999, Z30=4299#vlog; 富士|Fujifilm: X-T5=11999, X-S20=8999#vlog",
		variantAttr: "套装|Kit", variants: "单机身|Body only=0; 标准镜头套装|Kit lens=1500",
		attrs: []string{
			"有效像素|Resolution: 2420万像素|24.2MP; 3300万像素|33MP; 4020万像素|40.2MP",
			"重量|Weight: 390g#轻便; 658g",
			"视频|Video: 4K 30fps; 4K 60fps#vlog",
		}},
	{path: "数码/平板", key: "tablet", zh: "平板电脑", en: "Tablet", n: 10, tags: "办公",
		brands: "Apple|Apple: iPad Air=4799, iPad 10=2999#学生, iPad Pro=8499#商务; 华为|Huawei: MatePad 11.5=2099#学生, MatePad Pro=3999#商务; " +
			"小米|Xiaomi: Pad 6=1999#学生; 联想|Lenovo: 小新Pad|Xiaoxin Pad=1199#学生; 三星|Samsung: Galaxy Tab S9=5999",
		variantAttr: "存储|Storage", variants: "128GB=0; 256GB=800",
		attrs: []string{
			"屏幕|Screen: 10.9英寸|10.9 in; 11英寸|11 in; 12.4英寸|12.4 in#大屏",
			"电池|Battery: 7700mAh; 8840mAh; 10090mAh#长续航",
			"重量|Weight: 465g#轻薄; 510g; 580g",
		}},
	{path: "数码/智能手表", key: "watch", zh: "智能手表", en: "Smartwatch", n: 10, tags: "运动+健康",
		brands: "Apple|Apple: Watch Series 9=2999, Watch Ultra 2=6499#户外; 华为|Huawei: Watch 4 Pro=3299#商务, Watch GT 4=1488, Watch Fit 3=999#健身; " +
			"佳明|Garmin: Fenix 7=5380#户外, Forerunner 265=2980#跑步; 小米|Xiaomi: Watch S3=799#学生",
		variantAttr: "表带|Strap", variants: "氟橡胶表带|Fluoroelastomer strap=0; 皮革表带|Leather strap=300#商务",
		attrs: []string{
			"续航|Battery life: 18小时|18 h; 7天|7 days; 14天|14 days#长续航",
			"防水|Water resistance: 5ATM#防水+游泳; 10ATM#防水+游泳",
			"屏幕|Screen: 1.43英寸|1.43 in; 1.9英寸|1.9 in",
		}},
	{path: "数码/充电宝", key: "powerbank", zh: "充电宝", en: "Power bank", n: 8, tags: "旅行",
		brands: "安克|Anker: 737=699, Nano=149#轻薄; 小米|Xiaomi: 口袋版|Pocket Edition=99#学生, PB2030=179; " +
			"倍思|Baseus: Blade=299#轻薄; 罗马仕|Romoss: PAC20=89#学生",
		variantAttr: "颜色|Color", variants: "黑色|Black; 白色|White",
		attrs: []string{
			"容量|Capacity: 5000mAh#轻薄; 10000mAh; 20000mAh#长续航",
			"输出功率|Output: 20W; 33W#快充; 65W#快充",
		}},

	// 家电
	{path: "家电/吸尘器", key: "vacuum", zh: "吸尘器", en: "Vacuum cleaner", n: 10, tags: "清洁",
		brands: "戴森|Dyson: V12 Detect Slim=4490#无线, V15 Detect=5490#无线, V8=2490#无线; 小米|Xiaomi: 米家无线吸尘器 2|Mijia Cordless 2=1299#无线; " +
			"追觅|Dreame: V12=1699#无线; 美的|Midea: P3=799#无线; 莱克|Lexy: M12=1999#无线",
		variantAttr: "版本|Edition", variants: "标准版|Standard=0; 除螨版|Anti-mite=400#除螨",
		attrs: []string{
			"吸力|Suction: 150AW; 185AW; 240AW",
			"续航|Runtime: 60分钟|60 min; 70分钟|70 min",
			"重量|Weight: 1.5kg#轻便; 2.2kg; 3.1kg",
		}},
	{path: "家电/空气炸锅", key: "airfryer", zh: "空气炸锅", en: "Air fryer", n: 8, tags: "烹饪+厨房",
		brands: "美的|Midea: KZC5501=299, 炎烤|Flame Grill=499; 飞利浦|Philips: HD9252=699, HD9285=1299; " +
			"九阳|Joyoung: KL55=259; 小熊|Bear: QZG-A15=199#学生",
		variantAttr: "容量|Capacity", variants: "4.5L=0; 5.5L=100#家庭; 6.5L=200#家庭",
		attrs: []string{
			"功率|Power: 1350W; 1500W; 1700W",
			"温控|Temperature: 80-200℃|80-200°C; 40-200℃|40-200°C",
		}},
	{path: "家电/电饭煲", key: "ricecooker", zh: "电饭煲", en: "Rice cooker", n: 8, tags: "烹饪+厨房",
		brands: "象印|Zojirushi: NW-JBH10=2998, NL-GAH10=1698; 虎牌|Tiger: JPW-G10=2599; 美的|Midea: MB-FB40=299; " +
			"苏泊尔|Supor: SF40HC=359; 松下|Panasonic: SR-HCC107=1299",
		variantAttr: "容量|Capacity", variants: "3L=0#小户型; 4L=100; 5L=200#家庭",
		attrs: []string{
			"功率|Power: 600W; 860W; 1200W",
			"加热方式|Heating: IH电磁加热|IH induction; 底盘加热|Bottom plate",
		}},
	{path: "家电/吹风机", key: "hairdryer", zh: "吹风机", en: "Hair dryer", n: 8, tags: "个护",
		brands: "戴森|Dyson: Supersonic HD15=3199#送礼, Supersonic Origin=2499; 松下|Panasonic: EH-NA9G=1299; " +
			"飞利浦|Philips: BHD628=399#学生; 徕芬|Laifen: SE=399, Swift=599",
		variantAttr: "颜色|Color", variants: "紫红色|Fuchsia; 黑色|Black; 白色|White",
		attrs: []string{
			"功率|Power: 1200W; 1600W; 1800W",
			"负离子|Negative ions: 有|Yes#护发; 无|No",
			"重量|Weight: 310g#轻便; 485g; 560g",
		}},
	{path: "家电/扫地机器人", key: "robovac", zh: "扫地机器人", en: "Robot vacuum", n: 8, tags: "清洁+智能家居",
		brands: "石头|Roborock: G20=4999, P10=2999; 科沃斯|Ecovacs: X2 Pro=4299, T20=2799; " +
			"追觅|Dreame: X30=4999, L10s=2599; 小米|Xiaomi: 米家 M30|Mijia M30=2999",
		variantAttr: "基站|Dock", variants: "标准基站|Standard dock=0; 全能基站|All-in-one dock=1000#自清洁",
		attrs: []string{
			"吸力|Suction: 6000Pa; 8000Pa; 11000Pa",
			"续航|Runtime: 150分钟|150 min; 180分钟|180 min",
			"避障|Obstacle avoidance: 3D结构光|3D structured light; AI视觉|AI vision",
		}},
	{path: "家电/空气净化器", key: "purifier", zh: "空气净化器", en: "Air purifier", n: 6, tags: "空气+智能家居",
		brands: "戴森|Dyson: TP10=3999; 小米|Xiaomi: 4 Pro=1299; 飞利浦|Philips: AC2889=1999; " +
			"布鲁雅尔|Blueair: 7440i=3299; 352: X86=2599; 美的|Midea: KJ400G=899",
		attrs: []string{
			"CADR|CADR: 400m³/h; 500m³/h; 600m³/h",
			"适用面积|Room size: 28-48㎡|28-48 m²; 35-60㎡|35-60 m²",
			"噪音|Noise: 33dB; 39dB",
		}},

	// 美妆
	{path: "美妆/口红", key: "lipstick", zh: "口红", en: "Lipstick", n: 10, tags: "彩妆",
		brands: "迪奥|Dior: 烈艳蓝金|Rouge Dior=350#送礼; 圣罗兰|YSL: 小金条|Rouge Pur Couture The Slim=370#送礼; " +
			"香奈儿|Chanel: 可可小姐|Rouge Coco=370#送礼; 阿玛尼|Armani: 红管|Lip Maestro=350; " +
			"花西子|Florasis: 雕花口红|Carved Lipstick=169#国货; MAC|MAC: 子弹头|Powder Kiss=190",
		variantAttr: "色号|Shade", variants: "经典红|Classic red; 豆沙色|Rosewood; 珊瑚色|Coral; 枫叶红|Maple red",
		attrs: []string{
			"净含量|Net weight: 3.2g; 3.5g",
			"质地|Finish: 哑光|Matte#哑光; 缎光|Satin; 水润|Glossy#滋润",
		}},
	{path: "美妆/面霜", key: "cream", zh: "面霜", en: "Face cream", n: 10, tags: "护肤",
		brands: "兰蔻|Lancôme: 菁纯面霜|Absolue Soft Cream=1780#送礼; 雅诗兰黛|Estée Lauder: 多效智妍面霜|Revitalizing Supreme+ Cream=760; " +
			"海蓝之谜|La Mer: 精华面霜|Crème de la Mer=2700#送礼; 珀莱雅|Proya: 红宝石面霜|Ruby Cream=299#国货; " +
			"薇诺娜|Winona: 舒敏保湿特护霜|Soothing Repair Cream=268#敏感肌+国货; 科颜氏|Kiehl's: 高保湿面霜|Ultra Facial Cream=320#保湿",
		variantAttr: "容量|Size", variants: "30ml=0; 50ml=300",
		attrs: []string{
			"适用肤质|Skin type: 干性肌肤|Dry skin; 混合性肌肤|Combination skin; 敏感肌|Sensitive skin#敏感肌",
			"功效|Benefit: 保湿|Moisturizing#保湿; 修护|Repair; 紧致|Firming#抗老",
		}},
	{path: "美妆/精华", key: "serum", zh: "精华", en: "Serum", n: 10, tags: "护肤",
		brands: "雅诗兰黛|Estée Lauder: 特润修护精华露|Advanced Night Repair=660#送礼; 兰蔻|Lancôme: 小黑瓶|Advanced Génifique=760#送礼; " +
			"资生堂|Shiseido: 红腰子|Ultimune=690; 欧莱雅|L'Oréal: 复颜精华|Revitalift Serum=399; " +
			"珀莱雅|Proya: 双抗精华|Double Anti Serum=339#国货; 修丽可|SkinCeuticals: CE精华|C E Ferulic=1590",
		variantAttr: "容量|Size", variants: "30ml=0; 50ml=400",
		attrs: []string{
			"适用肤质|Skin type: 干性肌肤|Dry skin; 混合性肌肤|Combination skin; 敏感肌|Sensitive skin#敏感肌",
			"功效|Benefit: 保湿|Moisturizing#保湿; 提亮|Brightening#提亮; 修护|Repair",
		}},
	{path: "美妆/香水", key: "perfume", zh: "香水", en: "Perfume", n: 8, tags: "香氛",
		brands: "香奈儿|Chanel: 可可小姐|Coco Mademoiselle=1050#送礼; 迪奥|Dior: 真我|J'adore=990#送礼; " +
			"祖玛珑|Jo Malone: 英国梨与小苍兰|English Pear & Freesia=680#送礼; 欧珑|Atelier Cologne: 赤霞橘光|Orange Sanguine=790",
		variantAttr: "容量|Size", variants: "30ml=0; 50ml=300; 100ml=600",
		attrs: []string{
			"香调|Scent family: 花香调|Floral; 果香调|Fruity; 木质调|Woody",
			"浓度|Concentration: 淡香水|EDT; 浓香水|EDP",
		}},
	{path: "美妆/粉底", key: "foundation", zh: "粉底液", en: "Foundation", n: 8, tags: "彩妆",
		brands: "雅诗兰黛|Estée Lauder: 沁水粉底液|Double Wear=430; 阿玛尼|Armani: 权力粉底液|Power Fabric=560; " +
			"兰蔻|Lancôme: 持妆粉底液|Teint Idole=460; 花西子|Florasis: 玉容粉底液|Jade Foundation=199#国货",
		variantAttr: "色号|Shade", variants: "象牙白|Ivory; 自然色|Natural; 小麦色|Wheat",
		attrs: []string{
			"容量|Size: 30ml",
			"遮瑕度|Coverage: 中等|Medium; 高|High",
			"适用肤质|Skin type: 油性肌肤|Oily skin; 干性肌肤|Dry skin",
		}},

	// 服饰
	{path: "服饰/羽绒服", key: "downjacket", zh: "羽绒服", en: "Down jacket", n: 8, tags: "保暖+冬季",
		brands: "波司登|Bosideng: 登峰|Summit=1999#户外, 经典连帽款|Classic Hooded=999; 优衣库|Uniqlo: 轻型羽绒服|Light Down=499#轻薄; " +
			"加拿大鹅|Canada Goose: Expedition=9500#户外; 始祖鸟|Arc'teryx: Cerium=3500#户外+轻薄; 雪中飞: 短款=599",
		variantAttr: "尺码|Size", variants: "M; L; XL",
		attrs: []string{
			"充绒量|Fill weight: 150g; 200g; 280g",
			"含绒量|Down content: 80%; 90%",
			"蓬松度|Fill power: 600蓬|600 fill power; 700蓬|700 fill power",
		}},
	{path: "服饰/T恤", key: "tshirt", zh: "T恤", en: "T-shirt", n: 10, tags: "夏季",
		brands: "优衣库|Uniqlo: U系列圆领|U Crew Neck=79#基础款, AIRism棉|AIRism Cotton=99#速干; 李宁|Li-Ning: 运动|Sport=129#运动; " +
			"安踏|Anta: 冰丝|Ice Silk=99#运动+速干; 耐克|Nike: Dri-FIT=199#运动+速干; 无印良品|MUJI: 有机棉|Organic Cotton=88#有机",
		variantAttr: "尺码|Size", variants: "S; M; L; XL",
		attrs: []string{
			"版型|Fit: 宽松|Relaxed; 修身|Slim",
			"颜色|Color: 白色|White; 黑色|Black; 灰色|Grey",
		}},
	{path: "服饰/牛仔裤", key: "jeans", zh: "牛仔裤", en: "Jeans", n: 8, tags: "百搭",
		brands: "李维斯|Levi's: 501=699, 511=599; 优衣库|Uniqlo: 弹力修身|Stretch Slim=199#学生; " +
			"太平鸟|Peacebird: 直筒|Straight=399; Lee|Lee: 101=699",
		variantAttr: "尺码|Size", variants: "29码|W29; 30码|W30; 32码|W32; 34码|W34",
		attrs: []string{
			"版型|Fit: 直筒|Straight; 修身|Slim; 宽松|Relaxed",
			"弹力|Stretch: 微弹|Slight stretch; 无弹|No stretch",
		}},
	{path: "服饰/连衣裙", key: "dress", zh: "连衣裙", en: "Dress", n: 8, tags: "时尚+女装",
		brands:      "太平鸟|Peacebird: 碎花|Floral=459; ZARA|Zara: 缎面|Satin=399; 伊芙丽|Eifini: 针织|Knit=599; 优衣库|Uniqlo: 棉质|Cotton=199",
		variantAttr: "尺码|Size", variants: "S; M; L",
		attrs: []string{
			"材质|Material: 棉|Cotton; 聚酯纤维|Polyester; 醋酸|Acetate",
			"裙长|Length: 中长款|Midi; 长款|Maxi",
		}},
	{path: "服饰/衬衫", key: "shirt", zh: "衬衫", en: "Shirt", n: 6, tags: "通勤",
		brands:      "雅戈尔|Youngor: 免烫|Non-iron=399#商务; 海澜之家|HLA: 长袖|Long-sleeve=199#商务; 优衣库|Uniqlo: 牛津纺|Oxford=199; 报喜鸟: 商务=599#商务",
		variantAttr: "尺码|Size", variants: "39码|39; 40码|40; 41码|41; 42码|42",
		attrs: []string{
			"材质|Material: 100%棉|100% cotton; 棉+莱赛尔|Cotton and lyocell",
			"领型|Collar: 标准领|Classic collar; 扣领|Button-down collar",
		}},

	// 运动户外
	{path: "运动户外/跑鞋", key: "runshoe", zh: "跑鞋", en: "Running shoes", n: 12, tags: "跑步+运动",
		brands: "耐克|Nike: Pegasus 41=899, Vaporfly 3=1899#竞速; 阿迪达斯|adidas: Ultraboost Light=1299, Adizero Boston 12=1099#竞速; " +
			"李宁|Li-Ning: 赤兔7|Chitu 7=499#学生, 飞电4|Feidian 4=1299#竞速; 安踏|Anta: C202 GT=899#竞速, 马赫4|Mach 4=499#学生; " +
			"亚瑟士|ASICS: GEL-Kayano 31=1299#支撑",
		variantAttr: "尺码|Size", variants: "40码|EU 40; 41码|EU 41; 42码|EU 42; 43码|EU 43",
		attrs: []string{
			"重量|Weight: 198g#轻量; 240g; 285g",
			"鞋面|Upper: 工程网布|Engineered mesh; 针织|Knit",
			"适用|Use: 日常慢跑|Daily running; 马拉松|Marathon#马拉松",
		}},
	{path: "运动户外/冲锋衣", key: "shell", zh: "冲锋衣", en: "Hard-shell jacket", n: 8, tags: "户外+登山",
		brands: "始祖鸟|Arc'teryx: Beta LT=4500, Alpha SV=6800; 北面|The North Face: 1990 Mountain=1899, Dryvent=999; " +
			"骆驼|Camel: 三合一|3-in-1=399; 凯乐石|Kailas: MONT-X=1999; 探路者|Toread: 防风|Windproof=599",
		variantAttr: "尺码|Size", variants: "M; L; XL",
		attrs: []string{
			"防水|Waterproof rating: 10000mm#防水; 20000mm#防水; 28000mm#防水",
			"面料|Fabric: GORE-TEX; 3层复合面料|3-layer laminate",
			"重量|Weight: 395g#轻量; 560g",
		}},
	{path: "运动户外/帐篷", key: "tent", zh: "帐篷", en: "Tent", n: 6, tags: "户外+露营",
		brands: "牧高笛|Mobi Garden: 冷山|Cold Mountain=899; 迪卡侬|Decathlon: Quechua 2 Seconds=599; " +
			"黑鹿|Blackdeer: 自动速开|Instant=399; 挪客|Naturehike: Cloud Up=699#轻量",
		variantAttr: "人数|Capacity", variants: "2人|2-person=0; 3-4人|3-4 person=200#家庭",
		attrs: []string{
			"防水|Waterproof rating: 2000mm#防水; 3000mm#防水",
			"重量|Weight: 1.8kg#轻量; 3.2kg",
		}},
	{path: "运动户外/瑜伽垫", key: "yogamat", zh: "瑜伽垫", en: "Yoga mat", n: 6, tags: "健身+瑜伽",
		brands:      "Keep|Keep: TPE=99; Lululemon|Lululemon: The Mat=598; 迪卡侬|Decathlon: 防滑|Non-slip=129; 奥义: 天然橡胶=199",
		variantAttr: "厚度|Thickness", variants: "6mm=0; 8mm=30; 10mm=50",
		attrs: []string{
			"尺寸|Size: 183×61cm|183×61 cm; 185×80cm|185×80 cm",
			"防滑|Grip: 双面防滑|Non-slip both sides",
		}},
	{path: "运动户外/篮球鞋", key: "bballshoe", zh: "篮球鞋", en: "Basketball shoes", n: 6, tags: "篮球+运动",
		brands:      "李宁|Li-Ning: 韦德之道11|Way of Wade 11=1499; 安踏|Anta: KT9=1199; 耐克|Nike: LeBron 21=1399; 匹克|Peak: 态极|Taichi=499#学生",
		variantAttr: "尺码|Size", variants: "41码|EU 41; 42码|EU 42; 43码|EU 43",
		attrs: []string{
			"鞋帮|Cut: 高帮|High-top; 中帮|Mid-top; 低帮|Low-top",
			"重量|Weight: 380g; 420g",
		}},

	// 食品
	{path: "食品/坚果", key: "nuts", zh: "坚果", en: "Nuts", n: 10, tags: "零食",
		brands: "三只松鼠|Three Squirrels: 每日坚果|Daily Nuts=79.9#送礼, 夏威夷果|Macadamia=39.9; 良品铺子: 每日坚果=89.9#送礼, 碧根果=45.9; " +
			"百草味: 腰果=49.9; 洽洽|ChaCha: 小黄袋每日坚果|Daily Nuts Yellow Bag=69.9",
		variantAttr: "净含量|Net weight", variants: "500g=0; 750g=30; 1kg=60#家庭",
		attrs: []string{
			"保质期|Shelf life: 180天|180 days; 240天|240 days",
			"包装|Packaging: 独立小包|Individually packed#便携; 罐装|Canned",
		}},
	{path: "食品/咖啡", key: "coffee", zh: "咖啡", en: "Coffee", n: 10, tags: "咖啡+提神",
		brands: "三顿半|Saturnbird: 精品速溶|Specialty Instant=169; 雀巢|Nescafé: 金牌|Gold Blend=89.9; 星巴克|Starbucks: 派克市场|Pike Place=128; " +
			"瑞幸|Luckin: 冻干|Freeze-dried=99; 隅田川|Sumida: 挂耳|Drip Bag=69.9; 永璞|Yongpu: 闪萃|Flash Extract=129",
		variantAttr: "净含量|Net weight", variants: "200g=0; 500g=60",
		attrs: []string{
			"烘焙度|Roast: 浅烘|Light roast; 中烘|Medium roast; 深烘|Dark roast",
			"产地|Origin: 云南|Yunnan; 埃塞俄比亚|Ethiopia; 哥伦比亚|Colombia",
		}},
	{path: "食品/茶叶", key: "tea", zh: "茶叶", en: "Tea", n: 8, tags: "茶",
		brands: "西湖牌|Xihu: 龙井|Longjing=298#送礼; 八马|Bama: 铁观音|Tieguanyin=268#送礼; 大益|Dayi: 普洱|Pu'er=199; " +
			"立顿|Lipton: 红茶|Black Tea=39.9; 小罐茶|Xiaoguan: 大红袍|Da Hong Pao=500#送礼",
		variantAttr: "净含量|Net weight", variants: "100g=0; 250g=150",
		attrs: []string{
			"等级|Grade: 一级|Grade 1; 二级|Grade 2",
			"包装|Packaging: 罐装|Tin; 袋装|Bag",
		}},
	{path: "食品/牛奶", key: "milk", zh: "牛奶", en: "Milk", n: 8, tags: "早餐",
		brands: "特仑苏|Telunsu: 纯牛奶|Whole Milk=69.9, 有机纯牛奶|Organic Milk=89.9#有机; 伊利|Yili: 金典有机|Satine Organic=79.9#有机; " +
			"蒙牛|Mengniu: 纯牛奶|Pure Milk=49.9; 认养一头牛: 纯牛奶=59.9",
		variantAttr: "规格|Pack", variants: "250ml×12盒|250 ml × 12=0; 250ml×24盒|250 ml × 24=40#家庭",
		attrs: []string{
			"蛋白质|Protein: 3.2g/100ml; 3.6g/100ml; 3.8g/100ml",
			"保质期|Shelf life: 180天|180 days",
		}},
	{path: "食品/大米", key: "rice", zh: "大米", en: "Rice", n: 6, tags: "粮油",
		brands:      "十月稻田: 五常大米=59.9; 金龙鱼|Arawana: 东北大米|Northeast Rice=39.9; 福临门|Fortune: 泰国香米|Thai Hom Mali=69.9; 柴火大院: 有机五常米=99.9#有机",
		variantAttr: "净含量|Net weight", variants: "2.5kg=0; 5kg=30#家庭",
		attrs: []string{
			"等级|Grade: 一级|Grade 1",
			"保质期|Shelf life: 12个月|12 months",
		}},

	// 母婴
	{path: "母婴/奶粉", key: "formula", zh: "婴儿奶粉", en: "Infant formula", n: 12, tags: "母婴+婴儿",
		brands: "飞鹤|Feihe: 星飞帆|Astrobaby=298, 臻稚|Zhenzhi=468#有机; 爱他美|Aptamil: 卓萃|Profutura=428; 美赞臣|Enfamil: 蓝臻|Enspire=398; " +
			"惠氏|Wyeth: 启赋|Illuma=398; 君乐宝|Junlebao: 乐铂|Lebo=238",
		variantAttr: "适用年龄|Age", variants: "0-6个月|0-6 months; 6-12个月|6-12 months; 12-36个月|12-36 months",
		attrs: []string{
			"净含量|Net weight: 800g; 900g",
			"奶源|Milk source: 新西兰|New Zealand; 爱尔兰|Ireland; 中国|China",
		}},
	{path: "母婴/纸尿裤", key: "diaper", zh: "纸尿裤", en: "Diapers", n: 8, tags: "母婴+婴儿",
		brands: "帮宝适|Pampers: 一级帮|Ichiban=199, 绿帮|Baby-Dry=129; 花王|Merries: 妙而舒|Classic=139; 好奇|Huggies: 心钻装|Platinum=189; " +
			"大王|Goo.N: 天使|Angel=159; Babycare|Babycare: 皇室|Royal=169",
		variantAttr: "尺码|Size", variants: "NB; S; M; L; XL",
		attrs: []string{
			"片数|Count: 60片|60 pcs; 84片|84 pcs",
			"表层|Top sheet: 棉柔|Cotton-soft; 丝薄|Ultra-thin#轻薄",
		}},
	{path: "母婴/婴儿推车", key: "stroller", zh: "婴儿推车", en: "Stroller", n: 6, tags: "母婴+出行",
		brands:      "好孩子|Goodbaby: 口袋车|Pockit=1299#轻便; 博格步|Bugaboo: Fox 5=8999; 虎贝尔: E360=999; Babycare|Babycare: 轻便|Lightweight=899#轻便",
		variantAttr: "颜色|Color", variants: "灰色|Grey; 黑色|Black",
		attrs: []string{
			"重量|Weight: 5.8kg#轻便; 7.5kg; 10.2kg",
			"适用年龄|Age: 0-3岁|0-3 years; 6个月-4岁|6 months-4 years",
		}},
	{path: "母婴/奶瓶", key: "bottle", zh: "奶瓶", en: "Baby bottle", n: 6, tags: "母婴+婴儿",
		brands: "贝亲|Pigeon: 宽口径|Wide-neck=119, PPSU=139; 新安怡|Philips Avent: 自然顺畅|Natural=129; " +
			"可么多么|Comotomo: 硅胶|Silicone=189; 世喜: 玻璃=99.9",
		variantAttr: "容量|Capacity", variants: "160ml=0; 240ml=10",
		attrs: []string{
			"适用年龄|Age: 0-3个月|0-3 months; 3-6个月|3-6 months; 6个月以上|6 months+",
			"奶嘴|Teat: 新生儿S号|Newborn S; M号|M",
		}},

	// 家居
	{path: "家居/杯具", key: "cup", zh: "保温杯", en: "Insulated bottle", n: 12, tags: "保温+便携",
		brands: "膳魔师|Thermos: JNL=199, JNO=229; 象印|Zojirushi: SM-SA=239, SM-NA=199; 虎牌|Tiger: MCT=189; " +
			"乐扣乐扣|LocknLock: 简约|Simple=99#学生; 哈尔斯|Haers: 316不锈钢|316 Stainless=129; 富光: 商务=89#商务",
		variantAttr: "容量|Capacity", variants: "350ml=0; 500ml=20; 750ml=40#户外",
		attrs: []string{
			"保温时长|Heat retention: 6小时|6 h; 12小时|12 h; 24小时|24 h",
			"材质|Material: 304不锈钢|304 stainless steel; 316不锈钢|316 stainless steel",
			"重量|Weight: 180g#轻便; 260g",
		}},
	{path: "家居/床品", key: "bedding", zh: "床品四件套", en: "Bedding set", n: 8, tags: "家纺+卧室",
		brands:      "水星家纺: 全棉=399; 罗莱: 天丝=899; 富安娜: 长绒棉=699; 无印良品|MUJI: 水洗棉|Washed Cotton=499; 宜家|IKEA: DVALA=199#学生",
		variantAttr: "尺寸|Size", variants: "1.5m床|1.5 m bed=0; 1.8m床|1.8 m bed=100",
		attrs: []string{
			"支数|Thread count: 40支|40s; 60支|60s",
			"颜色|Color: 灰色|Grey; 米白|Off-white; 蓝色|Blue",
		}},
	{path: "家居/收纳", key: "storage", zh: "收纳箱", en: "Storage box", n: 6, tags: "收纳+小户型",
		brands:      "宜家|IKEA: SAMLA=29.9, KUGGIS=59.9; 天马|Tenma: 抽屉式|Drawer=129; 无印良品|MUJI: PP收纳盒|PP Storage Box=89; 爱丽思|Iris Ohyama: 透明|Clear=59.9",
		variantAttr: "容量|Capacity", variants: "20L=0; 45L=20; 66L=40",
		attrs: []string{
			"可叠放|Stackable: 是|Yes; 否|No",
			"颜色|Color: 透明|Clear; 白色|White",
		}},
	{path: "家居/锅具", key: "wok", zh: "炒锅", en: "Wok", n: 8, tags: "烹饪+厨房",
		brands: "双立人|Zwilling: Nova=599; 苏泊尔|Supor: 火红点|Thermo-Spot=199; 爱仕达|ASD: 不粘|Non-stick=159; " +
			"菲仕乐|Fissler: Adamant=899; 炊大皇: 铁锅=99",
		variantAttr: "尺寸|Size", variants: "30cm=0; 32cm=20; 34cm=40#家庭",
		attrs: []string{
			"材质|Material: 不锈钢|Stainless steel; 铸铁|Cast iron; 铝合金|Aluminium alloy",
			"适用炉具|Hob: 燃气灶|Gas; 电磁炉|Induction; 燃气灶和电磁炉通用|Gas and induction",
		}},
}

// tagEN is the English word English listings carry next to each shared tag.
var tagEN = map[string]string{
	"5G": "5G", "拍照": "camera", "商务": "business", "游戏": "gaming", "学生": "student", "轻薄": "slim",
	"大屏": "large screen", "长续航": "long battery life", "防水": "waterproof", "蓝牙": "bluetooth",
	"降噪": "noise cancelling", "运动": "sports", "旅行": "travel", "vlog": "vlog", "轻便": "lightweight",
	"办公": "office", "健康": "health", "户外": "outdoor", "健身": "fitness", "跑步": "running", "游泳": "swimming",
	"快充": "fast charging", "清洁": "cleaning", "无线": "cordless", "除螨": "anti-mite", "烹饪": "cooking",
	"厨房": "kitchen", "家庭": "family size", "小户型": "small home", "个护": "personal care", "送礼": "gift",
	"护发": "hair care", "智能家居": "smart home", "自清洁": "self-cleaning", "空气": "air care", "彩妆": "makeup",
	"哑光": "matte", "滋润": "hydrating", "国货": "chinese brand", "护肤": "skincare", "敏感肌": "sensitive skin",
	"保湿": "moisturizing", "抗老": "anti-aging", "提亮": "brightening", "香氛": "fragrance", "保暖": "warm",
	"冬季": "winter", "夏季": "summer", "基础款": "basics", "速干": "quick-dry", "有机": "organic", "百搭": "versatile",
	"时尚": "fashion", "女装": "womenswear", "通勤": "commute", "竞速": "racing", "支撑": "stability",
	"轻量": "lightweight", "马拉松": "marathon", "登山": "hiking", "露营": "camping", "瑜伽": "yoga", "篮球": "basketball",
	"零食": "snacks", "便携": "portable", "咖啡": "coffee", "提神": "energy", "茶": "tea", "早餐": "breakfast",
	"粮油": "staples", "母婴": "baby", "婴儿": "infant", "出行": "on the go", "保温": "insulated",
	"家纺": "home textiles", "卧室": "bedroom", "收纳": "storage",
}

// scenes turns a tag into who or what the product suits, for the last
// sentence of a description. Only tags that name a use are listed: the
// sentence restates a tag, it claims nothing new.
var scenes = map[string][2]string{
	"拍照": {"日常拍照", "everyday photography"}, "户外": {"户外出行", "outdoor trips"},
	"学生": {"学生日常使用", "students"}, "商务": {"商务通勤", "business commuting"},
	"送礼": {"送礼", "gifting"}, "旅行": {"旅行", "travel"}, "游戏": {"手游娱乐", "mobile gaming"},
	"健身": {"健身训练", "fitness training"}, "跑步": {"跑步训练", "running"}, "露营": {"露营", "camping"},
	"登山": {"登山徒步", "hiking"}, "家庭": {"家庭使用", "families"}, "小户型": {"小户型家庭", "small homes"},
	"通勤": {"日常通勤", "commuting"}, "婴儿": {"婴幼儿", "babies"}, "敏感肌": {"敏感肌", "sensitive skin"},
	"马拉松": {"马拉松训练", "marathon training"}, "vlog": {"vlog拍摄", "vlogging"}, "出行": {"带娃出行", "trips with a baby"},
	"瑜伽": {"瑜伽练习", "yoga practice"}, "早餐": {"早餐", "breakfast"}, "篮球": {"篮球运动", "basketball"},
}
