package evalrec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/importer"
	"github.com/shopmuse/shopmuse/shop"
)

// Data is one loaded dataset in shopmuse's own types, whatever the file
// format was.
type Data struct {
	Format       string
	Products     []shop.Product
	Users        []shop.User
	Interactions []shop.Interaction
	// Stubbed counts interaction items without catalogue metadata that got
	// a placeholder product (the engine only recommends known products).
	Stubbed int
}

// Formats.
const (
	FormatShop      = "shop" // our import format: JSONL or CSV by extension
	FormatMovieLens = "movielens"
	FormatAmazon    = "amazon"
)

// lineErr names the file and 1-based line of a bad record.
func lineErr(path string, line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
}

// detectFormat picks the format of an interactions file from its name and
// first line when --format is not given.
func detectFormat(path string) (string, error) {
	base := strings.ToLower(filepath.Base(path))
	if base == "u.data" || strings.HasSuffix(base, ".data") {
		return FormatMovieLens, nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	first, _ := bufio.NewReader(fh).ReadString('\n')
	first = strings.TrimPrefix(strings.TrimSpace(first), "\ufeff")
	switch {
	case strings.HasPrefix(strings.ToLower(first), "userid,movieid"):
		return FormatMovieLens, nil
	case strings.HasPrefix(first, "{") && (strings.Contains(first, `"reviewerID"`) || strings.Contains(first, `"asin"`)):
		return FormatAmazon, nil
	}
	if _, err := importer.FormatOf(path); err != nil {
		return "", fmt.Errorf("%s: cannot tell the format; give --format jsonl|csv|movielens|amazon", path)
	}
	return FormatShop, nil
}

// Load reads a dataset. format is "", "jsonl", "csv", "movielens" or
// "amazon"; products and users may be empty.
func Load(interactions, products, users, format string, now time.Time) (*Data, error) {
	var err error
	if format == "" {
		if format, err = detectFormat(interactions); err != nil {
			return nil, err
		}
	}
	var d *Data
	switch format {
	case FormatShop, "jsonl", "csv":
		d, err = loadShop(interactions, products, users, format, now)
	case FormatMovieLens:
		d, err = loadMovieLens(interactions, products)
	case FormatAmazon:
		d, err = loadAmazon(interactions, products)
	default:
		return nil, fmt.Errorf("unknown --format %q (want jsonl, csv, movielens or amazon)", format)
	}
	if err != nil {
		return nil, err
	}
	if len(d.Interactions) == 0 {
		return nil, fmt.Errorf("%s: no interactions", interactions)
	}
	d.stubMissing()
	return d, nil
}

// stubMissing gives every interacted item without metadata a placeholder
// product: the engine never recommends an item the catalogue lacks, and
// such an item would otherwise be an unreachable test target.
func (d *Data) stubMissing() {
	known := make(map[string]bool, len(d.Products))
	for i := range d.Products {
		known[d.Products[i].ID] = true
	}
	var missing []string
	for i := range d.Interactions {
		id := d.Interactions[i].ProductID
		if !known[id] {
			known[id] = true
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	for _, id := range missing {
		d.Products = append(d.Products, product(id, "item "+id, "unknown", nil, 0))
	}
	d.Stubbed = len(missing)
}

// product builds a valid catalogue entry from third-party metadata.
func product(id, title, category string, tags []string, cents int64) shop.Product {
	title = clip(strings.TrimSpace(title), shop.MaxTitleLen)
	if title == "" {
		title = "item " + id
	}
	var ts []string
	for _, t := range tags {
		if t = clip(strings.TrimSpace(t), shop.MaxTagLen); t != "" && !slices.Contains(ts, t) && len(ts) < shop.MaxTags {
			ts = append(ts, t)
		}
	}
	return shop.Product{ID: id, Title: title, Category: category, Tags: ts,
		Price:     shop.Money{Amount: shop.Decimal(cents), CurrencyCode: shop.DefaultCurrency},
		Available: true, Language: shop.DetectLanguage(title), Version: 1}
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// category makes a valid category path from segments (empty ones dropped,
// '/' inside a segment replaced, at most MaxCategoryDepth levels).
func category(segs []string) string {
	var out []string
	for _, s := range segs {
		s = strings.TrimSpace(strings.ReplaceAll(s, "/", "-"))
		if s != "" && len(out) < shop.MaxCategoryDepth {
			out = append(out, clip(s, 40))
		}
	}
	if len(out) == 0 {
		return "unknown"
	}
	return strings.Join(out, "/")
}

// eachRecord streams a file of our import format (JSONL or CSV by
// extension) through importer.Records, as `shopmuse import` reads it; every
// error names the file and the 1-based line.
func eachRecord[T any](path string, forced string, parseCSV func(map[string]string) (T, error), fn func(line int, v T) error) error {
	format, err := importer.FormatOf(path)
	switch forced {
	case "jsonl":
		format, err = importer.JSONL, nil
	case "csv":
		format, err = importer.CSV, nil
	}
	if err != nil {
		return err
	}
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	err = importer.Records(fh, format, parseCSV, func(line int, v T, err error) error {
		if err == nil {
			err = fn(line, v)
		}
		if err != nil {
			return lineErr(path, line, "%v", err)
		}
		return nil
	})
	return readErr(path, err)
}

// readErr names the file in an importer.ReadError (a bad CSV header, an
// over-long line) the way lineErr does.
func readErr(path string, err error) error {
	var re *importer.ReadError
	if errors.As(err, &re) {
		return lineErr(path, re.Line, "%v", re.Err)
	}
	return err
}

func userErrs(errs []shop.UserError) error {
	if len(errs) == 0 {
		return nil
	}
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = strings.Join(e.Field, ".") + ": " + e.Message
	}
	return errors.New(strings.Join(parts, "; "))
}

// loadShop reads our import format, validating every record exactly as
// `shopmuse import` does (so a file that evaluates also imports).
func loadShop(interactions, products, users, forced string, now time.Time) (*Data, error) {
	if forced == FormatShop {
		forced = ""
	}
	d := &Data{Format: FormatShop}
	if products != "" {
		seen := map[string]int{}
		err := eachRecord(products, "", importer.ParseProductCSV, func(line int, in shop.ProductInput) error {
			p, errs := in.Normalize()
			if err := userErrs(errs); err != nil {
				return err
			}
			if first, ok := seen[p.ID]; ok {
				return fmt.Errorf("id %q is also on line %d", p.ID, first)
			}
			seen[p.ID] = line
			p.Version = 1
			d.Products = append(d.Products, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if users != "" {
		err := eachRecord(users, "", importer.ParseUserCSV, func(line int, in shop.UserInput) error {
			u, errs := in.Normalize()
			if err := userErrs(errs); err != nil {
				return err
			}
			d.Users = append(d.Users, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err := eachRecord(interactions, forced, importer.ParseInteractionCSV, func(line int, in shop.InteractionInput) error {
		if in.OccurredAt == nil {
			// Without a time there is no time split and no honest replay.
			return errors.New("occurredAt: required for evaluation")
		}
		it, errs := in.Normalize(now)
		if err := userErrs(errs); err != nil {
			return err
		}
		d.Interactions = append(d.Interactions, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Ratings (MovieLens stars, Amazon "overall") become RATE events with the
// rating as value. The engine's kind weight for RATE is
// max(0,(value-2)/3) x weight, so 1-2 stars carry no positive signal and 5
// stars the full weight; for the test part every held-out rated item is
// relevant (the implicit "will the user rate it" protocol that Gorse's
// side of the benchmark uses on the same files).
func rating(path string, line int, s string) (*float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || v > shop.MaxRating {
		return nil, lineErr(path, line, "rating %q is not a number between 0 and 5", s)
	}
	return &v, nil
}

func unixTime(path string, line int, s string) (time.Time, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	t := time.Unix(n, 0).UTC()
	if err != nil || t.Before(shop.EarliestEvent) {
		return time.Time{}, lineErr(path, line, "timestamp %q is not a Unix time after 1990", s)
	}
	return t, nil
}

func checkIDs(path string, line int, ids ...string) error {
	for _, id := range ids {
		if code, msg := shop.ValidateID(id); code != "" {
			return lineErr(path, line, "id %q %s", id, msg)
		}
	}
	return nil
}

// movieLensGenres are the genre columns of u.item, in order.
var movieLensGenres = []string{"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
	"Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
	"Thriller", "War", "Western"}

// latin1 decodes ISO-8859-1 (u.item's encoding): every byte is its rune.
// A line that is valid UTF-8 (ASCII, or a re-encoded copy of the file) is
// kept as it is: latin-1 accents next to ASCII are never valid UTF-8.
func latin1(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// loadMovieLens reads u.data (tab-separated user item rating timestamp) or
// ratings.csv (userId,movieId,rating,timestamp), and items from u.item or
// movies.csv (given, or found next to the ratings).
func loadMovieLens(path, products string) (*Data, error) {
	d := &Data{Format: FormatMovieLens}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	isCSV := strings.EqualFold(filepath.Ext(path), ".csv")
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		var f []string
		if isCSV {
			if line == 1 {
				if !strings.HasPrefix(strings.ToLower(strings.TrimPrefix(s, "\ufeff")), "userid,movieid,rating") {
					return nil, lineErr(path, 1, "header %q is not userId,movieId,rating,timestamp", s)
				}
				continue
			}
			f = strings.Split(s, ",")
		} else {
			f = strings.Fields(s) // tabs in u.data; spaces tolerated
		}
		if len(f) != 4 {
			return nil, lineErr(path, line, "%d fields, want 4 (user item rating timestamp)", len(f))
		}
		if err := checkIDs(path, line, f[0], f[1]); err != nil {
			return nil, err
		}
		v, err := rating(path, line, f[2])
		if err != nil {
			return nil, err
		}
		t, err := unixTime(path, line, f[3])
		if err != nil {
			return nil, err
		}
		d.Interactions = append(d.Interactions, shop.Interaction{UserID: f[0], ProductID: f[1], Kind: shop.KindRate, Value: v, OccurredAt: t})
	}
	if err := sc.Err(); err != nil {
		return nil, lineErr(path, line+1, "%v", err)
	}
	if products == "" {
		for _, name := range []string{"u.item", "movies.csv"} {
			if p := filepath.Join(filepath.Dir(path), name); fileExists(p) {
				products = p
				break
			}
		}
	}
	if products != "" {
		if d.Products, err = loadMovies(products); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// loadMovies reads u.item (pipe-separated, latin-1: id|title|date|video
// date|URL|19 genre flags) or movies.csv (movieId,title,genres with genres
// pipe-separated). The first genre is the category; all are tags.
func loadMovies(path string) ([]shop.Product, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []shop.Product
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		err := importer.CSVRows(bytes.NewReader(raw), func(line int, row map[string]string, err error) error {
			if err != nil {
				return lineErr(path, line, "%v", err)
			}
			id, ok := row["movieId"]
			if !ok {
				return lineErr(path, 1, "header has no movieId column (want movieId,title,genres)")
			}
			if err := checkIDs(path, line, id); err != nil {
				return err
			}
			var genres []string
			for _, g := range strings.Split(row["genres"], "|") {
				if g != "" && g != "(no genres listed)" {
					genres = append(genres, g)
				}
			}
			out = append(out, movie(id, row["title"], genres))
			return nil
		})
		if err := readErr(path, err); err != nil {
			return nil, err
		}
		return out, nil
	}
	for n, b := range bytes.Split(raw, []byte("\n")) {
		line := n + 1
		s := strings.TrimRight(latin1(b), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		f := strings.Split(s, "|")
		if len(f) < 5 {
			return nil, lineErr(path, line, "%d fields, want id|title|release date|video release date|URL|genres", len(f))
		}
		if err := checkIDs(path, line, f[0]); err != nil {
			return nil, err
		}
		var genres []string
		for g, flag := range f[5:] {
			if strings.TrimSpace(flag) == "1" && g < len(movieLensGenres) && g > 0 {
				genres = append(genres, movieLensGenres[g])
			}
		}
		out = append(out, movie(f[0], f[1], genres))
	}
	return out, nil
}

func movie(id, title string, genres []string) shop.Product {
	cat := "Movies"
	if len(genres) > 0 {
		cat = "Movies/" + genres[0]
	}
	return product(id, title, category(strings.Split(cat, "/")), genres, 0)
}

// amazonLine is either a review (reviewerID set) or product metadata, as in
// the McAuley Amazon datasets (2014: categories [[...]], price number;
// 2018: category [...], price "$12.99"). Strict JSON only: the 2014
// metadata dumps in Python-literal syntax need converting first.
type amazonLine struct {
	ReviewerID     string          `json:"reviewerID"`
	ASIN           string          `json:"asin"`
	Overall        *float64        `json:"overall"`
	UnixReviewTime *int64          `json:"unixReviewTime"`
	Title          string          `json:"title"`
	Categories     [][]string      `json:"categories"`
	Category       []string        `json:"category"`
	Price          json.RawMessage `json:"price"`
	Brand          string          `json:"brand"`
}

// loadAmazon reads review lines and metadata lines, from one file or from
// the reviews file plus a metadata file (--products).
func loadAmazon(path, products string) (*Data, error) {
	d := &Data{Format: FormatAmazon}
	meta := map[string]int{}
	read := func(p string) error {
		fh, err := os.Open(p)
		if err != nil {
			return err
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 64*1024), 16<<20)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			var a amazonLine
			if err := json.Unmarshal(b, &a); err != nil {
				return lineErr(p, line, "invalid JSON: %v", err)
			}
			if a.ReviewerID != "" {
				if err := checkIDs(p, line, a.ReviewerID, a.ASIN); err != nil {
					return err
				}
				if a.Overall == nil || *a.Overall < 0 || *a.Overall > shop.MaxRating {
					return lineErr(p, line, "overall: want a rating between 0 and 5")
				}
				if a.UnixReviewTime == nil {
					return lineErr(p, line, "unixReviewTime: required")
				}
				t, err := unixTime(p, line, strconv.FormatInt(*a.UnixReviewTime, 10))
				if err != nil {
					return err
				}
				v := *a.Overall
				d.Interactions = append(d.Interactions, shop.Interaction{UserID: a.ReviewerID, ProductID: a.ASIN,
					Kind: shop.KindRate, Value: &v, OccurredAt: t})
				continue
			}
			if a.ASIN == "" {
				return lineErr(p, line, "neither a review (reviewerID) nor product metadata (asin)")
			}
			if err := checkIDs(p, line, a.ASIN); err != nil {
				return err
			}
			segs := a.Category
			if len(a.Categories) > 0 {
				segs = a.Categories[0]
			}
			pr := product(a.ASIN, a.Title, category(segs), append([]string{a.Brand}, segs...), amazonPrice(a.Price))
			pr.Brand = clip(a.Brand, shop.MaxShortTextLen)
			if i, ok := meta[a.ASIN]; ok {
				d.Products[i] = pr // the later line wins, as an upsert would
			} else {
				meta[a.ASIN] = len(d.Products)
				d.Products = append(d.Products, pr)
			}
		}
		if err := sc.Err(); err != nil {
			return lineErr(p, line+1, "%v", err)
		}
		return nil
	}
	if err := read(path); err != nil {
		return nil, err
	}
	if products != "" {
		if err := read(products); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// amazonPrice reads 12.99 or "$12.99" as cents; anything else is 0.
func amazonPrice(raw json.RawMessage) int64 {
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "$"))
		var err error
		if f, err = strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64); err != nil {
			return 0
		}
	}
	if f < 0 || f > 1e9 {
		return 0
	}
	return int64(f*100 + 0.5)
}
