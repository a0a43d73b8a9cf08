package evalrec

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// InteractionHeader is our interaction CSV header (importer.ParseInteractionCSV).
var InteractionHeader = []string{"userID", "productID", "kind", "value", "occurredAt", "copyVariantID"}

// writeFile writes path atomically enough for a benchmark: to a temporary
// name, then renamed, so a reader never sees half a file.
func writeFile(path string, fill func(w io.Writer) error) error {
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(fh, 1<<20)
	if err := fill(bw); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeInteractionsCSV(path string, its []shop.Interaction) error {
	return writeFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(InteractionHeader); err != nil {
			return err
		}
		row := make([]string, len(InteractionHeader))
		for i := range its {
			it := &its[i]
			row[0], row[1], row[2] = it.UserID, it.ProductID, string(it.Kind)
			row[3] = ""
			if it.Value != nil {
				row[3] = strconv.FormatFloat(*it.Value, 'g', -1, 64)
			}
			row[4] = it.OccurredAt.UTC().Format(time.RFC3339Nano)
			row[5] = it.CopyVariantID
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// productInput is the inverse of ProductInput.Normalize: what an import
// file says to recreate p.
func productInput(p *shop.Product) shop.ProductInput {
	in := shop.ProductInput{ID: p.ID, Title: p.Title, Category: p.Category, Tags: p.Tags,
		Price: &shop.MoneyInput{Amount: p.Price.Amount}}
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	in.Description, in.Brand, in.Promotion, in.ImageURL = str(p.Description), str(p.Brand), str(p.Promotion), str(p.ImageURL)
	if c := p.Price.CurrencyCode; c != "" {
		in.Price.CurrencyCode = &c
	}
	for _, a := range p.Attributes {
		in.Attributes = append(in.Attributes, shop.AttributeInput(a))
	}
	if !p.Available {
		f := false
		in.Available = &f
	}
	if p.Language != "" {
		l := p.Language
		in.Language = &l
	}
	return in
}

func writeJSONL[T any](path string, items []T) error {
	return writeFile(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range items {
			if err := enc.Encode(&items[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeProducts(path string, ps []shop.Product) error {
	in := make([]shop.ProductInput, len(ps))
	for i := range ps {
		in[i] = productInput(&ps[i])
	}
	return writeJSONL(path, in)
}

// writeUsers writes the given profiles plus a bare profile for every other
// user the events name, so the directory imports without NOT_FOUND errors.
func writeUsers(path string, us []shop.User, its []shop.Interaction) error {
	seen := map[string]bool{}
	var in []shop.UserInput
	for _, u := range us {
		seen[u.ID] = true
		x := shop.UserInput{ID: u.ID, Age: u.Age, Gender: u.Gender, Interests: u.Interests}
		if u.Name != "" {
			n := u.Name
			x.Name = &n
		}
		in = append(in, x)
	}
	var extra []string
	for i := range its {
		if id := its[i].UserID; !seen[id] {
			seen[id] = true
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	for _, id := range extra {
		in = append(in, shop.UserInput{ID: id})
	}
	return writeJSONL(path, in)
}

// WriteSplit writes the split for other tools: DIR/train.csv and
// DIR/test.csv (our interaction CSV; test.csv holds every held-out event),
// DIR/targets.csv and DIR/exclude.csv (userID,productID: each user's target
// items and the items removed from their ranking, so a reader applies the
// same protocol without re-implementing it), DIR/protocol.json (its label),
// DIR/products.jsonl and DIR/users.jsonl. When val is given, DIR/val holds
// the same protocol one level down (a validation split of train.csv) for
// tuning. `shopmuse import` loads the directory, and bench/gorse reads it.
func WriteSplit(dir string, d *Data, h holdout, val *holdout, label string) error {
	if err := writeSplitEvents(dir, h, label); err != nil {
		return err
	}
	if val != nil {
		if err := writeSplitEvents(filepath.Join(dir, "val"), *val, label); err != nil {
			return err
		}
	}
	if err := writeProducts(filepath.Join(dir, "products.jsonl"), d.Products); err != nil {
		return err
	}
	return writeUsers(filepath.Join(dir, "users.jsonl"), d.Users, d.Interactions)
}

func writeSplitEvents(dir string, h holdout, label string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(struct {
		Protocol string `json:"protocol"`
	}{label})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "protocol.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := writeInteractionsCSV(filepath.Join(dir, "train.csv"), h.sp.Train); err != nil {
		return err
	}
	if err := writeInteractionsCSV(filepath.Join(dir, "test.csv"), h.sp.Held); err != nil {
		return err
	}
	if err := writePairs(filepath.Join(dir, "targets.csv"), h.sp.Test); err != nil {
		return err
	}
	return writePairs(filepath.Join(dir, "exclude.csv"), h.sp.TrainItems)
}

// writePairs writes user → items as sorted userID,productID rows.
func writePairs(path string, m map[string]map[string]bool) error {
	return writeFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"userID", "productID"}); err != nil {
			return err
		}
		for _, u := range slices.Sorted(maps.Keys(m)) {
			for _, p := range slices.Sorted(maps.Keys(m[u])) {
				if err := cw.Write([]string{u, p}); err != nil {
					return err
				}
			}
		}
		cw.Flush()
		return cw.Error()
	})
}
