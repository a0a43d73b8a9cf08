package copywriter

// audience is what copy says to readers with one persona interest: which
// selling points they care about, how to address them, and the scene the
// product fits into. The interest vocabulary itself (keys, names, synonyms)
// is package persona's; this is the copy written on top of it, and
// TestAudiencesCoverTheVocabulary keeps the two in step.
type audience struct {
	// attrs are lower-case fragments of attribute names (ZH and EN) that
	// carry the selling points this interest cares about.
	attrs []string
	// zhFor / enFor address the reader: "写给爱拍照的你" / "for anyone who
	// loves taking photos".
	zhFor, enFor string
	// zhScene / enScene name where the product is used: "记录日常" /
	// "capturing everyday moments".
	zhScene, enScene string
}

// audiences is keyed by persona.Interest.Key.
var audiences = map[string]audience{
	"photography": {
		attrs: []string{"摄像", "像素", "传感器", "镜头", "光圈", "影像", "相机", "变焦", "camera", "megapixel", "sensor", "lens", "aperture", "zoom"},
		zhFor: "爱拍照的你", enFor: "anyone who loves taking photos", zhScene: "记录日常", enScene: "capturing everyday moments"},
	"outdoor": {
		attrs: []string{"续航", "电池", "电量", "防水", "防尘", "重量", "保温", "保冷", "容量", "battery", "waterproof", "water resistance", "weight", "insulation", "capacity"},
		zhFor: "热爱户外的你", enFor: "anyone who spends weekends outdoors", zhScene: "周末出游", enScene: "weekend adventures"},
	"sports": {
		attrs: []string{"重量", "防水", "续航", "心率", "透气", "缓震", "材质", "weight", "waterproof", "battery", "heart rate", "breathable", "cushioning"},
		zhFor: "爱运动的你", enFor: "anyone who keeps moving", zhScene: "运动时光", enScene: "training days"},
	"business": {
		attrs: []string{"性能", "处理器", "芯片", "内存", "材质", "做工", "续航", "降噪", "performance", "processor", "chip", "memory", "ram", "material", "battery", "noise"},
		zhFor: "忙碌的职场人", enFor: "busy professionals", zhScene: "差旅通勤", enScene: "busy workdays"},
	"student": {
		attrs: []string{"价格", "内存", "存储", "续航", "重量", "price", "storage", "memory", "battery", "weight"},
		zhFor: "在校的你", enFor: "students", zhScene: "校园生活", enScene: "campus life"},
	"beauty": {
		attrs: []string{"成分", "功效", "肤质", "质地", "色号", "净含量", "ingredient", "benefit", "skin type", "texture", "shade", "volume"},
		zhFor: "爱美的你", enFor: "skincare lovers", zhScene: "日常护理", enScene: "your daily routine"},
	"parenting": {
		attrs: []string{"适用年龄", "年龄", "安全", "材质", "认证", "age", "safety", "material", "certified", "certification"},
		zhFor: "用心带娃的你", enFor: "parents", zhScene: "带娃日常", enScene: "family days"},
	"fitness": {
		attrs: []string{"心率", "防水", "重量", "续航", "蛋白", "弹性", "heart rate", "waterproof", "weight", "battery", "protein", "stretch"},
		zhFor: "坚持健身的你", enFor: "anyone who trains regularly", zhScene: "训练时刻", enScene: "gym sessions"},
	"travel": {
		attrs: []string{"重量", "尺寸", "续航", "降噪", "容量", "折叠", "weight", "size", "battery", "noise", "capacity", "foldable"},
		zhFor: "常在路上的你", enFor: "frequent travellers", zhScene: "旅途路上", enScene: "life on the road"},
	"cooking": {
		attrs: []string{"功率", "容量", "材质", "涂层", "温度", "power", "capacity", "material", "coating", "temperature"},
		zhFor: "爱下厨的你", enFor: "home cooks", zhScene: "厨房时光", enScene: "time in the kitchen"},
	"gaming": {
		attrs: []string{"刷新率", "处理器", "芯片", "内存", "散热", "延迟", "屏幕", "refresh", "processor", "chip", "memory", "cooling", "latency", "display", "screen"},
		zhFor: "爱打游戏的你", enFor: "gamers", zhScene: "开黑时刻", enScene: "game nights"},
	"home": {
		attrs: []string{"材质", "尺寸", "容量", "功率", "噪音", "material", "size", "capacity", "power", "noise"},
		zhFor: "用心经营小家的你", enFor: "anyone making a home", zhScene: "居家生活", enScene: "life at home"},
	"fashion": {
		attrs: []string{"颜色", "配色", "材质", "面料", "款式", "版型", "color", "colour", "material", "fabric", "fit"},
		zhFor: "讲究穿搭的你", enFor: "the style-conscious", zhScene: "日常穿搭", enScene: "everyday outfits"},
	"coffee": {
		attrs: []string{"保温", "容量", "材质", "产地", "烘焙", "insulation", "capacity", "material", "origin", "roast"},
		zhFor: "离不开咖啡的你", enFor: "coffee lovers", zhScene: "咖啡时光", enScene: "coffee breaks"},
	"tech": {
		attrs: []string{"处理器", "芯片", "屏幕", "网络", "接口", "蓝牙", "processor", "chip", "display", "screen", "network", "bluetooth", "port"},
		zhFor: "爱尝鲜的数码玩家", enFor: "tech enthusiasts", zhScene: "数码生活", enScene: "a connected life"},
	"music": {
		attrs: []string{"音质", "降噪", "单元", "续航", "蓝牙", "sound", "noise", "driver", "battery", "bluetooth", "codec"},
		zhFor: "爱听歌的你", enFor: "music lovers", zhScene: "聆听时刻", enScene: "listening sessions"},
	"reading": {
		attrs: []string{"屏幕", "护眼", "重量", "容量", "screen", "eye", "weight", "storage"},
		zhFor: "爱读书的你", enFor: "readers", zhScene: "阅读时光", enScene: "quiet reading hours"},
	"pets": {
		attrs: []string{"适用", "材质", "成分", "安全", "suitable", "material", "ingredient", "safety"},
		zhFor: "家有毛孩子的你", enFor: "pet owners", zhScene: "陪伴毛孩子", enScene: "life with pets"},
	"health": {
		attrs: []string{"成分", "材质", "认证", "监测", "ingredient", "material", "certified", "monitoring"},
		zhFor: "注重健康的你", enFor: "the health-minded", zhScene: "健康生活", enScene: "healthy routines"},
}
