package evalrec

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The chart: grouped bars per model, NDCG@K and Recall@K side by side, one
// shared y axis (both are shares in [0,1]), values printed on the bars.

type chart struct {
	title, subtitle string
	models          []string
	series          []string
	values          [][]float64 // [model][series]
	colors          []color.RGBA
}

// ndcgRecallChart is an empty chart of NDCG@k and Recall@k bars.
func ndcgRecallChart(k int, subtitle string) chart {
	return chart{
		title:    fmt.Sprintf("NDCG@%d and Recall@%d per model", k, k),
		subtitle: subtitle,
		series:   []string{fmt.Sprintf("NDCG@%d", k), fmt.Sprintf("Recall@%d", k)},
		colors:   []color.RGBA{{0x2b, 0x6c, 0xb0, 0xff}, {0xf0, 0x8a, 0x24, 0xff}},
	}
}

func newChart(rep *Report, dataset string) chart {
	c := ndcgRecallChart(rep.K, fmt.Sprintf("%s: %d users, %d products; %d test users evaluated, full ranking",
		filepath.Base(dataset), rep.Split.Users, rep.Split.Products, rep.Evaluated))
	for _, r := range rep.Rows {
		c.models = append(c.models, r.Model)
		c.values = append(c.values, []float64{r.Metrics.NDCG, r.Metrics.Recall})
	}
	return c
}

// niceMax rounds the largest value up to 1, 2 or 5 times a power of ten so
// the axis ticks are round numbers.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 0.1
	}
	v *= 1.12 // room for the value labels
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func (c chart) max() float64 {
	m := 0.0
	for _, vs := range c.values {
		for _, v := range vs {
			m = math.Max(m, v)
		}
	}
	return niceMax(m)
}

// geometry shared by SVG and PNG.
type geom struct {
	w, h, left, right, top, bottom int
	group, bar                     float64
}

func (c chart) geom() geom {
	g := geom{left: 70, right: 24, top: 78, bottom: 40, h: 420}
	g.w = max(640, g.left+g.right+96*len(c.models))
	g.group = float64(g.w-g.left-g.right) / float64(max(1, len(c.models)))
	g.bar = math.Min(34, g.group*0.78/float64(len(c.series)))
	if g.rotate(c.models) { // slanted labels need room below the axis
		g.bottom, g.h = 96, 476
	}
	return g
}

// rotate reports whether the model names are too wide to sit level under
// their group (about 7 px per character at 12 px).
func (g geom) rotate(models []string) bool {
	return float64(longest(models))*7 > g.group-8
}

func (g geom) x(model, series, nSeries int) float64 {
	return float64(g.left) + g.group*float64(model) + (g.group-g.bar*float64(nSeries))/2 + g.bar*float64(series)
}

func (g geom) y(v, ymax float64) float64 {
	plotH := float64(g.h - g.top - g.bottom)
	return float64(g.top) + plotH*(1-v/ymax)
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// SVG renders the chart as a standalone SVG document.
func (c chart) SVG(w io.Writer) error {
	g := c.geom()
	ymax := c.max()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", g.w, g.h, g.w, g.h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="18" font-weight="bold" fill="#222">%s</text>`+"\n", g.left, esc(c.title))
	fmt.Fprintf(&b, `<text x="%d" y="48" font-size="12" fill="#555">%s</text>`+"\n", g.left, esc(c.subtitle))
	// Legend, top right.
	lx := g.w - g.right - 190
	for i, s := range c.series {
		x := lx + 95*i
		fmt.Fprintf(&b, `<rect x="%d" y="56" width="12" height="12" fill="%s"/><text x="%d" y="66" font-size="12" fill="#222">%s</text>`+"\n", x, hex(c.colors[i]), x+16, esc(s))
	}
	// Axis and grid: five round ticks.
	for t := 0; t <= 5; t++ {
		v := ymax * float64(t) / 5
		y := g.y(v, ymax)
		stroke := "#e3e3e3"
		if t == 0 {
			stroke = "#888"
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1"/>`+"\n", g.left, y, g.w-g.right, y, stroke)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" fill="#555" text-anchor="end">%s</text>`+"\n", g.left-6, y+4, trimFloat(v))
	}
	rotate := g.rotate(c.models)
	for m, name := range c.models {
		for s, v := range c.values[m] {
			x := g.x(m, s, len(c.series))
			y := g.y(v, ymax)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s = %.4f</title></rect>`+"\n",
				x, y, g.bar-2, g.y(0, ymax)-y, hex(c.colors[s]), esc(name), esc(c.series[s]), v)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#333" text-anchor="middle">%.3f</text>`+"\n", x+(g.bar-2)/2, y-4, v)
		}
		cx := float64(g.left) + g.group*(float64(m)+0.5)
		ly := float64(g.h-g.bottom) + 18
		if rotate {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#222" text-anchor="end" transform="rotate(-30 %.1f %.1f)">%s</text>`+"\n", cx, ly, cx, ly, esc(name))
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#222" text-anchor="middle">%s</text>`+"\n", cx, ly, esc(name))
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func longest(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, len(s))
	}
	return n
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}

// WritePlot writes the chart of rep to path (.svg or .png).
func WritePlot(path string, rep *Report, dataset string) error {
	return newChart(rep, dataset).write(path)
}

// write renders the chart to path as PNG or SVG by its extension.
func (c chart) write(path string) error {
	return writeFile(path, func(w io.Writer) error {
		if strings.EqualFold(filepath.Ext(path), ".png") {
			return c.PNG(w)
		}
		return c.SVG(w)
	})
}

// PNG renders the same chart as a bitmap with a built-in 3x5 pixel font
// (upper case, digits, a little punctuation) scaled up: no font files, no
// dependencies.
func (c chart) PNG(w io.Writer) error {
	g := c.geom()
	ymax := c.max()
	img := image.NewRGBA(image.Rect(0, 0, g.w, g.h))
	fill := func(x0, y0, x1, y1 int, col color.RGBA) {
		for y := max(0, y0); y < min(g.h, y1); y++ {
			for x := max(0, x0); x < min(g.w, x1); x++ {
				img.SetRGBA(x, y, col)
			}
		}
	}
	white := color.RGBA{255, 255, 255, 255}
	ink := color.RGBA{0x22, 0x22, 0x22, 255}
	grey := color.RGBA{0x66, 0x66, 0x66, 255}
	fill(0, 0, g.w, g.h, white)
	drawText(img, g.left, 14, c.title, 3, ink)
	drawText(img, g.left, 40, c.subtitle, 2, grey)
	lx := g.w - g.right - 230
	for i, s := range c.series {
		x := lx + 115*i
		fill(x, 58, x+12, 70, c.colors[i])
		drawText(img, x+16, 59, s, 2, ink)
	}
	for t := 0; t <= 5; t++ {
		v := ymax * float64(t) / 5
		y := int(math.Round(g.y(v, ymax)))
		col := color.RGBA{0xe3, 0xe3, 0xe3, 255}
		if t == 0 {
			col = color.RGBA{0x88, 0x88, 0x88, 255}
		}
		fill(g.left, y, g.w-g.right, y+1, col)
		s := trimFloat(v)
		drawText(img, g.left-6-textWidth(s, 2), y-5, s, 2, grey)
	}
	for m, name := range c.models {
		for s, v := range c.values[m] {
			x := g.x(m, s, len(c.series))
			y := g.y(v, ymax)
			fill(int(x), int(y), int(x+g.bar-2), int(g.y(0, ymax)), c.colors[s])
			label := fmt.Sprintf("%.3f", v)
			scale := 2
			if textWidth(label, 2) > int(g.bar)-2 {
				scale = 1
			}
			drawText(img, int(x+(g.bar-2)/2)-textWidth(label, scale)/2, int(y)-6*scale-2, label, scale, ink)
		}
		cx := g.left + int(g.group*(float64(m)+0.5))
		scale := 2
		if textWidth(name, 2) > int(g.group)-4 {
			scale = 1
		}
		drawText(img, cx-textWidth(name, scale)/2, g.h-g.bottom+12, name, scale, ink)
	}
	return png.Encode(w, img)
}

// font3x5 maps a character to 5 rows of 3 pixels ('#' set).
var font3x5 = map[rune][5]string{
	'A': {"###", "#.#", "###", "#.#", "#.#"}, 'B': {"##.", "#.#", "##.", "#.#", "##."},
	'C': {"###", "#..", "#..", "#..", "###"}, 'D': {"##.", "#.#", "#.#", "#.#", "##."},
	'E': {"###", "#..", "##.", "#..", "###"}, 'F': {"###", "#..", "##.", "#..", "#.."},
	'G': {"###", "#..", "#.#", "#.#", "###"}, 'H': {"#.#", "#.#", "###", "#.#", "#.#"},
	'I': {"###", ".#.", ".#.", ".#.", "###"}, 'J': {"..#", "..#", "..#", "#.#", "###"},
	'K': {"#.#", "#.#", "##.", "#.#", "#.#"}, 'L': {"#..", "#..", "#..", "#..", "###"},
	'M': {"#.#", "###", "###", "#.#", "#.#"}, 'N': {"##.", "#.#", "#.#", "#.#", "#.#"},
	'O': {"###", "#.#", "#.#", "#.#", "###"}, 'P': {"###", "#.#", "###", "#..", "#.."},
	'Q': {"###", "#.#", "#.#", "###", "..#"}, 'R': {"##.", "#.#", "##.", "#.#", "#.#"},
	'S': {"###", "#..", "###", "..#", "###"}, 'T': {"###", ".#.", ".#.", ".#.", ".#."},
	'U': {"#.#", "#.#", "#.#", "#.#", "###"}, 'V': {"#.#", "#.#", "#.#", "#.#", ".#."},
	'W': {"#.#", "#.#", "###", "###", "#.#"}, 'X': {"#.#", "#.#", ".#.", "#.#", "#.#"},
	'Y': {"#.#", "#.#", ".#.", ".#.", ".#."}, 'Z': {"###", "..#", ".#.", "#..", "###"},
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", "###", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", "..#", "..#", "..#"},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'.': {"...", "...", "...", "...", ".#."}, ',': {"...", "...", "...", ".#.", "#.."},
	'-': {"...", "...", "###", "...", "..."}, '_': {"...", "...", "...", "...", "###"},
	':': {"...", ".#.", "...", ".#.", "..."}, '/': {"..#", "..#", ".#.", "#..", "#.."},
	'(': {".#.", "#..", "#..", "#..", ".#."}, ')': {".#.", "..#", "..#", "..#", ".#."},
	'@': {"###", "#.#", "###", "#..", "###"}, '%': {"#.#", "..#", ".#.", "#..", "#.#"},
	'=': {"...", "###", "...", "###", "..."}, '+': {"...", ".#.", "###", ".#.", "..."},
	' ': {"...", "...", "...", "...", "..."},
}

func textWidth(s string, scale int) int { return len([]rune(s)) * 4 * scale }

func drawText(img *image.RGBA, x, y int, s string, scale int, col color.RGBA) {
	for _, r := range strings.ToUpper(s) {
		gl, ok := font3x5[r]
		if !ok {
			gl = [5]string{"###", "#.#", "#.#", "#.#", "###"} // unknown: a box
		}
		for row, bits := range gl {
			for c, bit := range bits {
				if bit != '#' {
					continue
				}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						px, py := x+(c*scale)+dx, y+(row*scale)+dy
						if image.Pt(px, py).In(img.Rect) {
							img.SetRGBA(px, py, col)
						}
					}
				}
			}
		}
		x += 4 * scale
	}
}

// resultFile is the part of a --json file (ours or bench/gorse's) a
// comparison chart needs.
type resultFile struct {
	Tool string `json:"tool"`
	K    int    `json:"k"`
	Rows []struct {
		Model  string  `json:"model"`
		NDCG   float64 `json:"ndcg"`
		Recall float64 `json:"recall"`
	} `json:"rows"`
}

// toolPrefix names a file's rows in a merged chart.
func toolPrefix(tool string) string {
	if strings.Contains(tool, "gorse") {
		return "gorse/"
	}
	return "shopmuse/"
}

// RunPlot is `shopmuse eval plot --out F.svg|png [--title T] A.json B.json…`:
// one chart, best NDCG first, of the rows of several result files written
// on the same split (eval --json and bench/gorse --json), so the
// side-by-side is a picture as well as a table.
func RunPlot(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "chart file (.svg or .png)")
	title := fs.String("title", "", "subtitle: what data and split the files are from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return errors.New("eval plot: usage: shopmuse eval plot --out F.svg [--title T] A.json [B.json ...]")
	}
	type row struct {
		name         string
		ndcg, recall float64
	}
	var rows []row
	k := 0
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("eval plot: %w", err)
		}
		var f resultFile
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("eval plot: %s: %w", path, err)
		}
		if len(f.Rows) == 0 {
			return fmt.Errorf("eval plot: %s has no rows", path)
		}
		if k != 0 && f.K != k {
			return fmt.Errorf("eval plot: %s has K=%d, the others K=%d", path, f.K, k)
		}
		k = f.K
		for _, r := range f.Rows {
			rows = append(rows, row{toolPrefix(f.Tool) + strings.TrimPrefix(r.Model, "gorse-"), r.NDCG, r.Recall})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.ndcg, a.ndcg) })
	c := ndcgRecallChart(k, *title)
	for _, r := range rows {
		c.models = append(c.models, r.name)
		c.values = append(c.values, []float64{r.ndcg, r.recall})
	}
	return c.write(*out)
}
