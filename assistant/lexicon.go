package assistant

// The synonym tables. A topic is one thing shoppers ask about; it is found in
// a question by its words (Chinese as substrings, English as whole words) and
// in a product by its attribute names. Attributes whose names a question
// states outright are found without the table (see attributeTopics), so the
// table only needs the colloquial ways of asking.

// topic is one thing a question can ask about.
type topic struct {
	key string
	// words ask about the topic: 续航, 多重, battery life.
	words []string
	// attrs name attributes that answer it, in order of preference:
	// a phone's 续航 is answered by its 电池.
	attrs []string
	// field answers it from a product field instead (price, promotion).
	field string
	// unit is the canonical unit of the topic's numbers, for comparisons
	// ("" when the topic is not numeric).
	unit string
	// more is true when a larger number is better (longer battery life);
	// lighter is better for weight.
	more bool
}

var topics = []topic{
	{key: "price", field: FieldPrice, unit: "CNY", words: []string{"价格", "多少钱", "几块钱", "多少块", "价钱", "售价", "贵不贵", "贵吗", "啥价", "什么价", "卖多少", "几多钱", "多钱", "更便宜", "哪个便宜", "哪款便宜", "更贵", "哪个贵", "price", "cost", "how much", "priced", "pricey", "expensive", "cheaper", "cheapest", "pricier"}},
	{key: "promotion", field: FieldPromotion, words: []string{"优惠", "活动", "促销", "打折", "折扣", "满减", "减免", "便宜点", "优惠券", "券", "立减", "discount", "promotion", "promo", "deal", "deals", "sale", "coupon", "offer", "offers"}},
	{key: "battery", unit: "", more: true, attrs: []string{"电池", "battery", "续航", "battery life", "runtime", "容量", "capacity"}, words: []string{"电池", "电量", "续航", "毫安", "mah", "待机", "能用多久", "用多久", "用多长时间", "耐用吗", "耗电", "battery", "battery life", "runtime", "last"}},
	{key: "screen", unit: "in", more: true, attrs: []string{"屏幕", "screen"}, words: []string{"屏幕", "屏", "英寸", "寸", "screen", "display", "inch", "inches"}},
	{key: "weight", unit: "g", attrs: []string{"重量", "weight", "净含量", "net weight"}, words: []string{"重量", "多重", "重不重", "有多重", "几斤", "几克", "分量", "沉不沉", "沉吗", "重吗", "weight", "weigh", "weighs", "heavy", "light"}},
	{key: "storage", more: true, attrs: []string{"存储", "storage"}, words: []string{"存储", "内存", "储存", "运存", "gb", "storage", "memory", "ram", "rom"}},
	{key: "camera", unit: "px", more: true, attrs: []string{"摄像头", "camera", "有效像素", "resolution"}, words: []string{"摄像头", "像素", "拍照", "相机", "镜头", "camera", "megapixel", "megapixels", "mp", "photos", "resolution"}},
	{key: "water", attrs: []string{"防水", "water resistance", "waterproof rating"}, words: []string{"防水", "进水", "泼水", "防溅", "下水", "淋雨", "下雨", "雨天", "rain", "wet", "splash", "ip68", "ip54", "waterproof", "water resistance", "water resistant", "water-resistant", "water"}},
	{key: "color", attrs: []string{"颜色", "color", "色号", "shade"}, words: []string{"颜色", "什么色", "啥色", "几种颜色", "配色", "色号", "color", "colour", "colors", "colours", "shade"}},
	{key: "capacity", more: true, attrs: []string{"容量", "capacity"}, words: []string{"容量", "多大容量", "装多少", "能装", "毫升", "升", "capacity", "how many ml", "litres", "liters", "volume", "hold", "holds"}},
	{key: "power", unit: "w", more: true, attrs: []string{"功率", "power", "输出功率", "output"}, words: []string{"功率", "瓦数", "多少瓦", "几瓦", "充电功率", "快充", "power", "wattage", "watts", "output"}},
	{key: "bluetooth", attrs: []string{"蓝牙", "bluetooth"}, words: []string{"蓝牙", "bluetooth"}},
	{key: "size", attrs: []string{"尺码", "尺寸", "size", "厚度", "thickness"}, words: []string{"尺码", "码数", "尺寸", "多大码", "几码", "大小", "size", "sizes", "dimensions"}},
	{key: "material", attrs: []string{"材质", "material", "面料", "fabric", "鞋面", "upper"}, words: []string{"材质", "材料", "面料", "什么做的", "啥做的", "material", "fabric", "made of"}},
	{key: "suction", unit: "", more: true, attrs: []string{"吸力", "suction"}, words: []string{"吸力", "吸得干净", "suction"}},
	{key: "shelflife", attrs: []string{"保质期", "shelf life"}, words: []string{"保质期", "过期", "放多久", "能放多长时间", "shelf life", "expire", "expiry", "expiration"}},
	{key: "origin", attrs: []string{"产地", "origin"}, words: []string{"产地", "哪里产", "哪产的", "哪里生产", "哪里的", "原产", "made in", "origin", "where is it made", "where is it from"}},
	{key: "skin", attrs: []string{"适用肤质", "skin type"}, words: []string{"肤质", "皮肤", "敏感肌", "干皮", "油皮", "skin", "skin type"}},
	{key: "benefit", attrs: []string{"功效", "benefit"}, words: []string{"功效", "作用", "效果", "benefit", "benefits", "does it do"}},
	{key: "fit", attrs: []string{"版型", "fit"}, words: []string{"版型", "修身吗", "宽松吗", "fit", "slim fit"}},
	{key: "age", attrs: []string{"适用年龄", "age"}, words: []string{"适用年龄", "年龄", "几个月", "多大的宝宝", "多大宝宝", "几岁", "age", "ages", "months old", "years old"}},
	{key: "noise", unit: "db", attrs: []string{"噪音", "noise"}, words: []string{"噪音", "声音大", "吵不吵", "吵吗", "分贝", "noise", "noisy", "loud", "quiet"}},
	{key: "heat", unit: "h", more: true, attrs: []string{"保温时长", "heat retention"}, words: []string{"保温", "保温多久", "保温时间", "keep warm", "keeps warm", "heat retention", "hot"}},
	{key: "runtime", unit: "min", more: true, attrs: []string{"续航", "runtime", "battery life"}, words: []string{}},
	{key: "warranty", words: []string{"保修", "质保", "保修期", "保固", "延保", "warranty", "guarantee"}},
	{key: "inbox", words: []string{"包装清单", "包装里", "盒子里", "配件", "附件", "送什么", "赠品", "送不送", "有没有送", "带充电器", "带不带", "充电器", "充电头", "数据线", "标配", "包含", "附带", "in the box", "included", "includes", "comes with", "accessories", "charger", "cable"}},
	{key: "compat", words: []string{"兼容", "适配", "通用", "支持", "能连", "能用在", "能不能用", "适用于", "设备", "笔记本", "my phone", "my devices", "laptop", "laptops", "compatible", "compatibility", "work with", "works with", "support", "supports", "connect"}},
	{key: "care", words: []string{"清洗", "清洁", "机洗", "手洗", "水洗", "洗碗机", "消毒", "烫洗", "掉色", "开锅", "clean", "cleaning", "wash", "washing", "dishwasher", "sterilise", "sterilize", "care instructions"}},
	{key: "keep", words: []string{"保存", "存放", "储存", "冷藏", "冰箱", "store it", "stored", "kept", "refrigerate", "refrigerated", "fridge"}},
	{key: "pregnancy", words: []string{"孕妇", "怀孕", "孕期", "哺乳", "pregnant", "pregnancy", "breastfeeding"}},
	{key: "authentic", words: []string{"正品", "真货", "行货", "防伪", "genuine", "authentic", "real thing", "counterfeit"}},
	{key: "flight", words: []string{"飞机", "登机", "坐飞机", "托运", "plane", "flight", "flights", "airline", "carry-on"}},
	{key: "sizing", words: []string{"偏大", "偏小", "尺码准", "码数准", "码准", "选哪个码", "选大", "选小", "true to size", "size up", "size down", "run large", "run small", "runs large", "runs small", "sizing"}},
	{key: "switch", words: []string{"转奶", "换奶", "switch", "switching", "changing to"}},
	{key: "made", words: []string{"生产日期", "认证", "3c", "production date", "certified", "certification"}},
	{key: "stock", attrs: []string{}, field: FieldAvailable, words: []string{"有货", "有没有货", "缺货", "现货", "库存", "还有吗", "in stock", "available", "availability", "out of stock"}},
	{key: "brand", field: FieldBrand, words: []string{"品牌", "什么牌子", "啥牌子", "哪个牌子", "brand", "who makes"}},
}

// topicByKey indexes topics.
var topicByKey = func() map[string]*topic {
	m := map[string]*topic{}
	for i := range topics {
		m[topics[i].key] = &topics[i]
	}
	return m
}()

// handoffWords mark what customer service, not the catalogue, answers.
var handoffWords = []struct{ word, topic string }{
	{"订单", "order"}, {"下单后", "order"}, {"单号", "order"}, {"取消订单", "order"}, {"改地址", "order"}, {"修改地址", "order"}, {"收货地址", "order"},
	{"物流", "delivery"}, {"快递", "delivery"}, {"发货", "delivery"}, {"到货", "delivery"}, {"送到", "delivery"}, {"配送", "delivery"},
	{"到哪了", "delivery"}, {"什么时候到", "delivery"}, {"几天到", "delivery"}, {"还没到", "delivery"}, {"还没收到", "delivery"}, {"没收到", "delivery"}, {"签收", "delivery"}, {"催", "delivery"}, {"包裹", "delivery"}, {"运费", "delivery"}, {"包邮", "delivery"},
	{"退款", "refund"}, {"退货", "refund"}, {"退钱", "refund"}, {"换货", "refund"}, {"退换", "refund"}, {"售后", "weak"}, {"七天无理由", "refund"}, {"7天无理由", "refund"}, {"无理由", "refund"}, {"价保", "refund"}, {"保价", "refund"},
	{"投诉", "complaint"}, {"差评", "complaint"}, {"破损", "weak"}, {"坏了", "weak"}, {"少发", "complaint"}, {"发错", "complaint"}, {"假货", "complaint"},
	{"发票", "invoice"}, {"开票", "invoice"}, {"人工", "human"}, {"转人工", "human"}, {"客服", "weak"}, {"账号", "account"}, {"登录", "account"}, {"密码", "account"}, {"会员", "account"}, {"积分", "account"},
	{"my order", "order"}, {"order status", "order"}, {"cancel", "order"}, {"order number", "order"}, {"ordered", "order"}, {"change the address", "order"}, {"shipping address", "order"},
	{"delivery", "delivery"}, {"shipping", "delivery"}, {"shipped", "delivery"}, {"ship", "delivery"}, {"tracking", "delivery"}, {"track", "delivery"}, {"parcel", "delivery"}, {"package arrive", "delivery"}, {"arrive", "delivery"}, {"courier", "delivery"}, {"hasn't arrived", "delivery"}, {"not arrived", "delivery"}, {"late", "delivery"},
	{"refund", "refund"}, {"return", "refund"}, {"returns", "refund"}, {"exchange", "refund"}, {"money back", "refund"},
	{"complaint", "complaint"}, {"complain", "complaint"}, {"broken", "weak"}, {"damaged", "complaint"}, {"wrong item", "complaint"}, {"fake", "complaint"},
	{"invoice", "invoice"}, {"receipt", "invoice"}, {"human", "human"}, {"agent", "human"}, {"customer service", "human"}, {"account", "account"}, {"password", "account"}, {"log in", "account"}, {"login", "account"},
}

// needWords mark a request for products rather than a question about one.
var needWords = []string{"推荐", "有没有", "有什么", "有啥", "哪款", "哪个好", "哪些", "想买", "求推荐", "适合", "送女朋友", "送男朋友", "送妈妈", "送爸爸", "送人", "送礼", "预算", "以内", "以下", "左右", "之间", "便宜的", "性价比",
	"recommend", "suggest", "looking for", "any ", "which ", "best ", "good ", "under ", "below ", "less than", "cheaper than", "between ", "budget", "for a ", "i need", "i want", "want a", "need a", "gift"}

// compareWords mark a comparison.
var compareWords = []string{"哪个", "哪款", "对比", "比较", "区别", "差别", "不同", "还是", "vs", "versus", "compare", "comparison", "difference", "better", "which one", "which is"}

// tagGroups turn need words into catalogue tags: a product fits the need
// when it carries any tag of the group.
var tagGroups = []struct {
	words []string
	tags  []string
	soft  bool
}{
	{[]string{"拍照", "摄影", "拍视频", "拍人像", "camera", "photo", "photos", "photography"}, []string{"拍照"}, false},
	{[]string{"降噪", "noise cancelling", "noise-cancelling", "anc"}, []string{"降噪"}, false},
	{[]string{"学生", "学生党", "上学", "student", "students"}, []string{"学生"}, true},
	{[]string{"送礼", "送人", "礼物", "送女朋友", "送男朋友", "送妈妈", "送爸爸", "送老婆", "送老公", "gift", "gifts", "present"}, []string{"送礼"}, true},
	{[]string{"护肤品", "护肤", "skincare", "skin care"}, []string{"护肤"}, false},
	{[]string{"彩妆", "makeup", "make-up"}, []string{"彩妆"}, false},
	{[]string{"户外", "outdoor", "outdoors"}, []string{"户外"}, false},
	{[]string{"续航长", "长续航", "续航久", "电池大", "long battery", "battery life"}, []string{"长续航"}, false},
	{[]string{"防水", "waterproof"}, []string{"防水"}, false},
	{[]string{"轻薄", "轻便", "轻量", "轻一点", "轻的", "lightweight", "light", "slim", "thin"}, []string{"轻薄", "轻便", "轻量"}, false},
	{[]string{"游戏", "打游戏", "gaming", "games"}, []string{"游戏"}, false},
	{[]string{"商务", "business"}, []string{"商务"}, false},
	{[]string{"敏感肌", "sensitive skin"}, []string{"敏感肌"}, false},
	{[]string{"保湿", "moisturizing", "moisturising"}, []string{"保湿"}, false},
	{[]string{"hydrating"}, []string{"滋润", "保湿"}, false},
	{[]string{"大屏", "大屏幕", "large screen", "big screen"}, []string{"大屏"}, false},
	{[]string{"运动", "健身", "sports", "fitness", "workout"}, []string{"运动", "健身"}, false},
	{[]string{"跑步", "running", "run"}, []string{"跑步"}, false},
	{[]string{"露营", "camping"}, []string{"露营"}, false},
	{[]string{"登山", "徒步", "hiking"}, []string{"登山"}, false},
	{[]string{"快充", "fast charging"}, []string{"快充"}, false},
	{[]string{"国货", "国产", "chinese brand"}, []string{"国货"}, false},
	{[]string{"有机", "organic"}, []string{"有机"}, false},
	{[]string{"家庭", "一家人", "全家", "family"}, []string{"家庭"}, false},
	{[]string{"旅行", "出差", "travel", "trip"}, []string{"旅行"}, false},
	{[]string{"无线", "cordless", "wireless"}, []string{"无线"}, false},
	{[]string{"vlog", "视频博主"}, []string{"vlog"}, false},
	{[]string{"小户型", "小房子", "small home", "small apartment"}, []string{"小户型"}, false},
	{[]string{"马拉松", "marathon"}, []string{"马拉松"}, false},
	{[]string{"速干", "quick-dry", "quick dry"}, []string{"速干"}, false},
	{[]string{"除螨", "anti-mite"}, []string{"除螨"}, false},
	{[]string{"自清洁", "self-cleaning"}, []string{"自清洁"}, false},
	{[]string{"护发", "hair care"}, []string{"护发"}, false},
	{[]string{"抗老", "抗衰", "anti-aging", "anti-ageing"}, []string{"抗老"}, false},
	{[]string{"提亮", "美白", "brightening"}, []string{"提亮"}, false},
	{[]string{"哑光", "matte"}, []string{"哑光"}, false},
	{[]string{"滋润", "glossy"}, []string{"滋润"}, false},
	{[]string{"游泳", "swimming"}, []string{"游泳"}, false},
	{[]string{"竞速", "racing"}, []string{"竞速"}, false},
}

// categoryNouns name a category by its last path segment (数码/手机 → 手机),
// or by a top segment (数码). Longest words are matched first.
var categoryNouns = []struct {
	words []string
	leaf  string
}{
	{[]string{"智能手表", "手表", "运动手表", "smartwatch", "smart watch", "watch", "watches"}, "智能手表"},
	{[]string{"手机", "phone", "phones", "smartphone", "smartphones", "mobile"}, "手机"},
	{[]string{"耳机", "耳麦", "headphones", "headphone", "earphones", "earbuds", "headset"}, "耳机"},
	{[]string{"微单", "相机", "camera", "cameras"}, "相机"},
	{[]string{"平板", "平板电脑", "tablet", "tablets", "ipad"}, "平板"},
	{[]string{"充电宝", "移动电源", "power bank", "powerbank"}, "充电宝"},
	{[]string{"扫地机器人", "扫地机", "robot vacuum", "robot vacuums", "robovac"}, "扫地机器人"},
	{[]string{"吸尘器", "vacuum", "vacuum cleaner", "vacuums"}, "吸尘器"},
	{[]string{"空气炸锅", "air fryer", "airfryer"}, "空气炸锅"},
	{[]string{"电饭煲", "电饭锅", "rice cooker"}, "电饭煲"},
	{[]string{"吹风机", "电吹风", "hair dryer", "hairdryer"}, "吹风机"},
	{[]string{"空气净化器", "净化器", "air purifier", "purifier"}, "空气净化器"},
	{[]string{"口红", "唇膏", "lipstick", "lipsticks"}, "口红"},
	{[]string{"面霜", "face cream", "cream", "moisturizer"}, "面霜"},
	{[]string{"精华", "精华液", "serum", "serums"}, "精华"},
	{[]string{"香水", "perfume", "fragrance"}, "香水"},
	{[]string{"粉底液", "粉底", "foundation"}, "粉底"},
	{[]string{"羽绒服", "down jacket", "puffer"}, "羽绒服"},
	{[]string{"t恤", "短袖", "t-shirt", "tshirt", "tee"}, "T恤"},
	{[]string{"牛仔裤", "jeans"}, "牛仔裤"},
	{[]string{"连衣裙", "裙子", "dress", "dresses"}, "连衣裙"},
	{[]string{"衬衫", "shirt", "shirts"}, "衬衫"},
	{[]string{"跑鞋", "跑步鞋", "running shoes", "running shoe", "runners"}, "跑鞋"},
	{[]string{"冲锋衣", "hard-shell", "hardshell", "shell jacket", "rain jacket"}, "冲锋衣"},
	{[]string{"帐篷", "tent", "tents"}, "帐篷"},
	{[]string{"瑜伽垫", "yoga mat"}, "瑜伽垫"},
	{[]string{"篮球鞋", "basketball shoes", "basketball shoe"}, "篮球鞋"},
	{[]string{"坚果", "nuts"}, "坚果"},
	{[]string{"咖啡", "coffee"}, "咖啡"},
	{[]string{"茶叶", "tea"}, "茶叶"},
	{[]string{"牛奶", "纯奶", "milk"}, "牛奶"},
	{[]string{"大米", "rice"}, "大米"},
	{[]string{"奶粉", "formula"}, "奶粉"},
	{[]string{"纸尿裤", "尿不湿", "diapers", "diaper", "nappies"}, "纸尿裤"},
	{[]string{"婴儿推车", "推车", "婴儿车", "stroller", "pram"}, "婴儿推车"},
	{[]string{"奶瓶", "baby bottle", "baby bottles"}, "奶瓶"},
	{[]string{"保温杯", "水杯", "杯子", "insulated bottle", "thermos", "water bottle"}, "杯具"},
	{[]string{"四件套", "床品", "床上用品", "bedding"}, "床品"},
	{[]string{"收纳箱", "收纳盒", "storage box", "storage boxes"}, "收纳"},
	{[]string{"炒锅", "锅", "wok", "pan"}, "锅具"},
	{[]string{"数码", "电子产品", "electronics", "gadget", "gadgets"}, "数码"},
	{[]string{"家电", "appliance", "appliances"}, "家电"},
	{[]string{"化妆品", "美妆", "cosmetics", "beauty"}, "美妆"},
	{[]string{"衣服", "服饰", "服装", "clothes", "clothing"}, "服饰"},
	{[]string{"零食", "食品", "吃的", "snacks", "food"}, "食品"},
	{[]string{"母婴", "宝宝用品", "baby"}, "母婴"},
	{[]string{"家居", "home goods"}, "家居"},
}

// brandAliases pairs a brand's Chinese and English names, so that 华为 in a
// question finds Huawei listings too.
var brandAliases = [][2]string{
	{"华为", "Huawei"}, {"小米", "Xiaomi"}, {"苹果", "Apple"}, {"三星", "Samsung"}, {"索尼", "Sony"}, {"佳能", "Canon"},
	{"尼康", "Nikon"}, {"富士", "Fujifilm"}, {"联想", "Lenovo"}, {"安克", "Anker"}, {"倍思", "Baseus"}, {"罗马仕", "Romoss"},
	{"戴森", "Dyson"}, {"追觅", "Dreame"}, {"美的", "Midea"}, {"莱克", "Lexy"}, {"飞利浦", "Philips"}, {"九阳", "Joyoung"},
	{"小熊", "Bear"}, {"象印", "Zojirushi"}, {"虎牌", "Tiger"}, {"苏泊尔", "Supor"}, {"松下", "Panasonic"}, {"徕芬", "Laifen"},
	{"石头", "Roborock"}, {"科沃斯", "Ecovacs"}, {"布鲁雅尔", "Blueair"}, {"迪奥", "Dior"}, {"圣罗兰", "YSL"}, {"香奈儿", "Chanel"},
	{"阿玛尼", "Armani"}, {"花西子", "Florasis"}, {"兰蔻", "Lancôme"}, {"雅诗兰黛", "Estée Lauder"}, {"海蓝之谜", "La Mer"},
	{"珀莱雅", "Proya"}, {"薇诺娜", "Winona"}, {"科颜氏", "Kiehl's"}, {"资生堂", "Shiseido"}, {"欧莱雅", "L'Oréal"},
	{"修丽可", "SkinCeuticals"}, {"祖玛珑", "Jo Malone"}, {"欧珑", "Atelier Cologne"}, {"波司登", "Bosideng"}, {"优衣库", "Uniqlo"},
	{"加拿大鹅", "Canada Goose"}, {"始祖鸟", "Arc'teryx"}, {"李宁", "Li-Ning"}, {"安踏", "Anta"}, {"耐克", "Nike"},
	{"无印良品", "MUJI"}, {"李维斯", "Levi's"}, {"太平鸟", "Peacebird"}, {"伊芙丽", "Eifini"}, {"雅戈尔", "Youngor"},
	{"海澜之家", "HLA"}, {"阿迪达斯", "adidas"}, {"亚瑟士", "ASICS"}, {"北面", "The North Face"}, {"骆驼", "Camel"},
	{"凯乐石", "Kailas"}, {"探路者", "Toread"}, {"牧高笛", "Mobi Garden"}, {"迪卡侬", "Decathlon"}, {"黑鹿", "Blackdeer"},
	{"挪客", "Naturehike"}, {"匹克", "Peak"}, {"三只松鼠", "Three Squirrels"}, {"洽洽", "ChaCha"}, {"三顿半", "Saturnbird"},
	{"雀巢", "Nescafé"}, {"星巴克", "Starbucks"}, {"瑞幸", "Luckin"}, {"隅田川", "Sumida"}, {"永璞", "Yongpu"}, {"西湖牌", "Xihu"},
	{"八马", "Bama"}, {"大益", "Dayi"}, {"立顿", "Lipton"}, {"小罐茶", "Xiaoguan"}, {"特仑苏", "Telunsu"}, {"伊利", "Yili"},
	{"蒙牛", "Mengniu"}, {"金龙鱼", "Arawana"}, {"福临门", "Fortune"}, {"飞鹤", "Feihe"}, {"爱他美", "Aptamil"}, {"美赞臣", "Enfamil"},
	{"惠氏", "Wyeth"}, {"君乐宝", "Junlebao"}, {"帮宝适", "Pampers"}, {"花王", "Merries"}, {"好奇", "Huggies"}, {"大王", "Goo.N"},
	{"好孩子", "Goodbaby"}, {"博格步", "Bugaboo"}, {"贝亲", "Pigeon"}, {"新安怡", "Philips Avent"}, {"可么多么", "Comotomo"},
	{"膳魔师", "Thermos"}, {"乐扣乐扣", "LocknLock"}, {"哈尔斯", "Haers"}, {"宜家", "IKEA"}, {"天马", "Tenma"}, {"爱丽思", "Iris Ohyama"},
	{"双立人", "Zwilling"}, {"爱仕达", "ASD"}, {"菲仕乐", "Fissler"}, {"佳明", "Garmin"}, {"漫步者", "Edifier"}, {"博士", "Bose"},
}

// homophones are input-method slips seen in Chinese questions: a wrong
// character with the same sound. Each maps to the intended one.
var homophones = map[rune]rune{
	'钱': '钱', '前': '钱', '潜': '钱', '杭': '航', '行': '航', '池': '池', '迟': '池', '持': '池',
	'评': '屏', '平': '屏', '瓶': '屏', '慕': '幕', '木': '幕', '量': '量', '亮': '量', '凉': '量',
	'价': '价', '架': '价', '假': '价', '格': '格', '个': '格', '各': '格', '涩': '色', '社': '色',
	'方': '防', '房': '防', '访': '防', '谁': '水', '睡': '水', '税': '水', '中': '重', '种': '重', '众': '重',
	'马': '码', '吗': '码', '象': '像', '向': '像', '素': '素', '速': '素', '诉': '素', '惠': '惠', '会': '惠', '汇': '惠',
	'栖': '期', '其': '期', '旗': '期', '齐': '期', '修': '修', '休': '修', '绪': '续', '序': '续', '旭': '续',
	'率': '率', '绿': '率', '律': '率', '寸': '寸', '存': '存', '村': '存',
}
