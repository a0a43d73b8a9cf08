package evalrec

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/shop"
)

// GenSpec is the size of a generated shop.
type GenSpec struct{ Users, Products, Interactions int }

// ParseGenSpec reads users=N,products=N,interactions=N (k/m suffixes allowed).
func ParseGenSpec(s string) (GenSpec, error) {
	var g GenSpec
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return g, fmt.Errorf("--gen: %q is not name=number", part)
		}
		mult := 1
		switch {
		case strings.HasSuffix(strings.ToLower(v), "k"):
			mult, v = 1000, v[:len(v)-1]
		case strings.HasSuffix(strings.ToLower(v), "m"):
			mult, v = 1000000, v[:len(v)-1]
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return g, fmt.Errorf("--gen: %s=%q is not a positive number", k, v)
		}
		switch k {
		case "users":
			g.Users = n * mult
		case "products", "items":
			g.Products = n * mult
		case "interactions", "events", "ratings":
			g.Interactions = n * mult
		default:
			return g, fmt.Errorf("--gen: unknown size %q (want users, products, interactions)", k)
		}
	}
	if g.Users == 0 || g.Products == 0 || g.Interactions == 0 {
		return g, fmt.Errorf("--gen: give users=N,products=N,interactions=N")
	}
	return g, nil
}

// Generate writes a synthetic shop (recommend/synth: latent tastes, a
// category per topic, long-tail popularity) to dir. With funnel, shoppers
// come in sessions, return to viewed items, cart and buy them on later
// visits and re-buy consumables (synth.GenerateFunnel); without, visits are
// independent and items are rarely revisited (synth.Generate, the shop of
// the no-repeat protocol). Format "shop" writes our import files (products.jsonl,
// users.jsonl, interactions.csv), which `shopmuse import` loads; format
// "movielens" writes a MovieLens-100k-shaped u.data + u.item (unique
// user-item ratings 1–5 derived from the funnel depth, 1997–98 timestamps).
func Generate(spec, format, dir string, seed int64, funnel bool, stderr io.Writer) error {
	g, err := ParseGenSpec(spec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := progress{stderr}
	switch format {
	case "", "shop":
		gen, kind := synth.Generate, "without repeats"
		if funnel {
			gen, kind = synth.GenerateFunnel, "with the funnel"
		}
		done := p.step("generating a shop %s: %d users, %d products, ~%d interactions", kind, g.Users, g.Products, g.Interactions)
		s := gen(g.Users, g.Products, g.Interactions, seed)
		done()
		done = p.step("writing %s", dir)
		if err := writeProducts(filepath.Join(dir, "products.jsonl"), s.Products); err != nil {
			return err
		}
		if err := writeUsers(filepath.Join(dir, "users.jsonl"), s.Users, nil); err != nil {
			return err
		}
		if err := writeInteractionsCSV(filepath.Join(dir, "interactions.csv"), s.Interactions); err != nil {
			return err
		}
		done()
		fmt.Fprintf(stderr, "  %d products, %d users, %d interactions (%s .. %s)\n", len(s.Products), len(s.Users),
			len(s.Interactions), s.Interactions[0].OccurredAt.Format(time.DateOnly), s.Now.Format(time.DateOnly))
		return nil
	case "movielens":
		return generateMovieLens(g, dir, seed, p)
	}
	return fmt.Errorf("--gen-format %q is neither shop nor movielens", format)
}

func generateMovieLens(g GenSpec, dir string, seed int64, p progress) error {
	done := p.step("generating a MovieLens-shaped file: %d users, %d items, %d ratings", g.Users, g.Products, g.Interactions)
	// The funnel emits ~1.7 events per visited pair; ask for enough events
	// to have more unique pairs than wanted, then thin at random.
	// Tastes concentrate users on a few topics, so revisits are common:
	// double the event budget until there are enough unique pairs.
	type pair struct {
		u, i  string
		depth int
		t     time.Time
	}
	depth := map[shop.InteractionKind]int{shop.KindView: 0, shop.KindClick: 1, shop.KindAddToCart: 2, shop.KindPurchase: 3}
	var s *synth.Shop
	var pairs []pair
	for events := g.Interactions * 2; ; events *= 2 {
		s = synth.Generate(g.Users, g.Products, events, seed)
		idx := map[[2]string]int{}
		pairs = pairs[:0]
		for _, it := range s.Interactions {
			k := [2]string{it.UserID, it.ProductID}
			if j, ok := idx[k]; ok {
				pairs[j].depth = max(pairs[j].depth, depth[it.Kind])
				continue
			}
			idx[k] = len(pairs)
			pairs = append(pairs, pair{it.UserID, it.ProductID, depth[it.Kind], it.OccurredAt})
		}
		if len(pairs) >= g.Interactions || events > 32*g.Interactions {
			break
		}
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x4d4c))
	if len(pairs) > g.Interactions {
		r.Shuffle(len(pairs), func(a, b int) { pairs[a], pairs[b] = pairs[b], pairs[a] })
		pairs = pairs[:g.Interactions]
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return a.t.Compare(b.t) })
	// Map the 90 synthetic days onto MovieLens-100k's Sept 1997 – Apr 1998.
	first, last := pairs[0].t, pairs[len(pairs)-1].t
	from := time.Date(1997, 9, 20, 0, 0, 0, 0, time.UTC)
	span := float64(time.Date(1998, 4, 22, 0, 0, 0, 0, time.UTC).Sub(from))
	// Deeper funnel = higher rating, with noise: views rate 1–4, purchases 4–5.
	base := [4]float64{2.6, 3.3, 3.9, 4.6}
	err := writeFile(filepath.Join(dir, "u.data"), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for _, pr := range pairs {
			v := int(base[pr.depth] + r.NormFloat64()*0.8 + 0.5)
			v = min(5, max(1, v))
			frac := float64(pr.t.Sub(first)) / max(1, float64(last.Sub(first)))
			ts := from.Add(time.Duration(frac * span)).Unix()
			// Strip the synth prefixes: MovieLens IDs are plain numbers.
			u, _ := strconv.Atoi(pr.u[1:])
			i, _ := strconv.Atoi(pr.i[1:])
			fmt.Fprintf(bw, "%d\t%d\t%d\t%d\n", u+1, i+1, v, ts)
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	// u.item: latin-1, id|title|release|video release|URL|19 genre flags;
	// the synthetic topic's category picks the genre.
	err = writeFile(filepath.Join(dir, "u.item"), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for n := range s.Products {
			g := 1 + s.TopicOf[n]%(len(movieLensGenres)-1)
			flags := make([]string, len(movieLensGenres))
			for k := range flags {
				flags[k] = "0"
			}
			flags[g] = "1"
			// A latin-1 byte (é) in every tenth title, as in the real file.
			title := fmt.Sprintf("Synthetic Film %d (%d)", n+1, 1930+n%68)
			if n%10 == 0 {
				title = fmt.Sprintf("Caf\xe9 %d (%d)", n+1, 1930+n%68)
			}
			fmt.Fprintf(bw, "%d|%s|01-Jan-%d||http://example.invalid/%d|%s\n", n+1, title, 1930+n%68, n+1, strings.Join(flags, "|"))
		}
		return bw.Flush()
	})
	if err != nil {
		return err
	}
	done()
	users := map[string]bool{}
	for _, pr := range pairs {
		users[pr.u] = true
	}
	fmt.Fprintf(p.w, "  u.data: %d ratings by %d users; u.item: %d items\n", len(pairs), len(users), len(s.Products))
	return nil
}
