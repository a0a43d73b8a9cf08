package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Event is one row of shopmuse's interaction CSV
// (userID,productID,kind,value,occurredAt,copyVariantID).
type Event struct {
	User, Item, Kind string
	At               time.Time
}

// ReadEvents reads an interaction CSV. Columns are located by header name so
// extra or reordered columns are tolerated; userID, productID and occurredAt
// are required (occurredAt may be empty, then the zero time is used).
func ReadEvents(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	ui, ok1 := col["userID"]
	pi, ok2 := col["productID"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: header %q lacks userID/productID", path, head)
	}
	ki, hasKind := col["kind"]
	ti, hasAt := col["occurredAt"]
	var out []Event
	line := 1
	for {
		rec, err := r.Read()
		line++
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		get := func(i int) string {
			if i < len(rec) {
				return rec[i]
			}
			return ""
		}
		e := Event{User: get(ui), Item: get(pi)}
		if e.User == "" || e.Item == "" {
			return nil, fmt.Errorf("%s:%d: empty userID or productID", path, line)
		}
		if hasKind {
			e.Kind = get(ki)
		}
		if hasAt {
			if s := get(ti); s != "" {
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: occurredAt: %w", path, line, err)
				}
				e.At = t
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Data is a split indexed densely: users and items are numbered in sorted
// order of their IDs, items over the catalogue train ∪ test.
type Data struct {
	Users, Items []string
	UserIdx      map[string]int32
	ItemIdx      map[string]int32
	// Train[u] are u's distinct train items in order of first occurrence.
	Train [][]int32
	// Test[u] are u's target items T_u: by default the distinct test items
	// not in Train[u]; from DIR/targets.csv when the split has one.
	Test [][]int32
	// Exclude[u] are the items removed from u's ranking: Train[u] by
	// default; from DIR/exclude.csv when the split has one (shopmuse's
	// protocol, e.g. only purchased items).
	Exclude [][]int32
	// Protocol names the rule the split was written under ("" for the
	// default: test items new to the user, training items excluded).
	Protocol string
	// InTest[u] is true if u has any row in test.csv.
	InTest    []bool
	TrainRows int
	TestRows  int
	// Kinds counts train rows per kind (informational).
	Kinds map[string]int
}

// NumTrainPairs is the number of distinct (user, item) train pairs.
func (d *Data) NumTrainPairs() int {
	n := 0
	for _, t := range d.Train {
		n += len(t)
	}
	return n
}

// LoadSplit reads DIR/train.csv and DIR/test.csv, and, when shopmuse wrote
// them, DIR/targets.csv and DIR/exclude.csv (userID,productID rows: each
// user's targets and the items removed from their ranking) and
// DIR/protocol.json: then both tools score under the very same rule.
func LoadSplit(dir string) (*Data, error) {
	train, err := ReadEvents(filepath.Join(dir, "train.csv"))
	if err != nil {
		return nil, err
	}
	test, err := ReadEvents(filepath.Join(dir, "test.csv"))
	if err != nil {
		return nil, err
	}
	d := BuildData(train, test)
	if targets, ok, err := readPairs(filepath.Join(dir, "targets.csv")); err != nil {
		return nil, err
	} else if ok {
		if d.Test, err = d.index(targets); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "targets.csv"), err)
		}
	}
	if ex, ok, err := readPairs(filepath.Join(dir, "exclude.csv")); err != nil {
		return nil, err
	} else if ok {
		if d.Exclude, err = d.index(ex); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "exclude.csv"), err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "protocol.json")); err == nil {
		var p struct {
			Protocol string `json:"protocol"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "protocol.json"), err)
		}
		d.Protocol = p.Protocol
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return d, nil
}

// readPairs reads a userID,productID CSV; ok is false when it is absent.
func readPairs(path string) (pairs [][2]string, ok bool, err error) {
	evs, err := ReadEvents(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, e := range evs {
		pairs = append(pairs, [2]string{e.User, e.Item})
	}
	return pairs, true, nil
}

// index turns (user, item) pairs into per-user item lists over d's
// numbering; a pair naming a user or item absent from train ∪ test is an
// error (the files would not describe this split).
func (d *Data) index(pairs [][2]string) ([][]int32, error) {
	out := make([][]int32, len(d.Users))
	for _, p := range pairs {
		u, ok1 := d.UserIdx[p[0]]
		i, ok2 := d.ItemIdx[p[1]]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("pair %s,%s is not in train.csv ∪ test.csv", p[0], p[1])
		}
		if !slices.Contains(out[u], i) {
			out[u] = append(out[u], i)
		}
	}
	return out, nil
}

// excluded returns the items removed from u's ranking.
func (d *Data) excluded(u int32) []int32 {
	if d.Exclude != nil {
		return d.Exclude[u]
	}
	return d.Train[u]
}

// BuildData indexes train and test events.
func BuildData(train, test []Event) *Data {
	us, is := map[string]bool{}, map[string]bool{}
	for _, es := range [][]Event{train, test} {
		for _, e := range es {
			us[e.User], is[e.Item] = true, true
		}
	}
	d := &Data{TrainRows: len(train), TestRows: len(test), Kinds: map[string]int{}}
	for u := range us {
		d.Users = append(d.Users, u)
	}
	for i := range is {
		d.Items = append(d.Items, i)
	}
	slices.Sort(d.Users)
	slices.Sort(d.Items)
	d.UserIdx = make(map[string]int32, len(d.Users))
	d.ItemIdx = make(map[string]int32, len(d.Items))
	for k, u := range d.Users {
		d.UserIdx[u] = int32(k)
	}
	for k, i := range d.Items {
		d.ItemIdx[i] = int32(k)
	}
	d.Train = make([][]int32, len(d.Users))
	d.Test = make([][]int32, len(d.Users))
	d.InTest = make([]bool, len(d.Users))
	// First occurrence order: stable sort of train rows by time.
	order := make([]int, len(train))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return train[a].At.Compare(train[b].At) })
	seen := make([]map[int32]bool, len(d.Users))
	for _, k := range order {
		e := train[k]
		d.Kinds[e.Kind]++
		u, i := d.UserIdx[e.User], d.ItemIdx[e.Item]
		if seen[u] == nil {
			seen[u] = map[int32]bool{}
		}
		if !seen[u][i] {
			seen[u][i] = true
			d.Train[u] = append(d.Train[u], i)
		}
	}
	tseen := make([]map[int32]bool, len(d.Users))
	for _, e := range test {
		u, i := d.UserIdx[e.User], d.ItemIdx[e.Item]
		d.InTest[u] = true
		if seen[u][i] {
			continue
		}
		if tseen[u] == nil {
			tseen[u] = map[int32]bool{}
		}
		if !tseen[u][i] {
			tseen[u][i] = true
			d.Test[u] = append(d.Test[u], i)
		}
	}
	return d
}

// HoldOut splits the train part for hyper-parameter selection: for every
// user with at least minItems distinct train items the most recent frac of
// them (by first occurrence) become the validation target. It returns a Data
// over the same user/item numbering whose Train is the remainder and whose
// Test is the validation target.
func (d *Data) HoldOut(frac float64, minItems int) *Data {
	v := &Data{Users: d.Users, Items: d.Items, UserIdx: d.UserIdx, ItemIdx: d.ItemIdx,
		Train: make([][]int32, len(d.Users)), Test: make([][]int32, len(d.Users)),
		InTest: make([]bool, len(d.Users)), Kinds: d.Kinds}
	for u, items := range d.Train {
		n := len(items)
		cut := n
		if n >= minItems {
			h := int(float64(n)*frac + 0.5)
			h = max(1, min(h, n-1))
			cut = n - h
			v.InTest[u] = true
		}
		v.Train[u] = items[:cut:cut]
		v.Test[u] = items[cut:]
		v.TrainRows += cut
		v.TestRows += n - cut
	}
	return v
}
