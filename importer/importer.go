package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Files names the files to import; any may be empty.
type Files struct {
	Products, Users, Interactions string
	// QAs are a shop's Q&A entries (id, productID, question, answer); they
	// may name products of the same import or already stored.
	QAs string
}

// Options tune Run.
type Options struct {
	// BatchSize is how many records go in one transaction (default shop.MaxBatch).
	BatchSize int
	// MaxErrors is how many bad lines are reported before validation stops
	// collecting (default 100); validation still reads every line.
	MaxErrors int
	// Progress receives a progress bar while writing; nil shows none.
	Progress io.Writer
	// Now is the clock for validating interaction times (default time.Now).
	Now func() time.Time
}

// LineError is one bad line.
type LineError struct {
	File    string
	Line    int
	Message string
}

func (e LineError) String() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message) }

// Report says what Run found and did.
type Report struct {
	Products, Users, Interactions int // records written (or, when invalid, read)
	QAs                           int
	Duplicates                    int // interactions already present
	Errors                        []LineError
	BadLines                      int // every bad line, also past MaxErrors
}

// ErrInvalid is returned when any line is bad; nothing was written.
var ErrInvalid = errors.New("import rejected: nothing was written")

// Target is what an import writes into: the service's use cases (app.App),
// so imported data reaches the store, the recommender and the search index
// by the same path as the API's writes.
type Target interface {
	Exist(ctx context.Context, isProduct bool, ids []string) ([]bool, error)
	UpsertProducts(ctx context.Context, in []shop.ProductInput) ([]shop.Product, []shop.UserError, error)
	UpsertUsers(ctx context.Context, in []shop.UserInput) ([]shop.User, []shop.UserError, error)
	RecordInteractions(ctx context.Context, in []shop.InteractionInput) (store.RecordResult, []shop.UserError, error)
	// CheckProductQAs validates Q&A entries without writing them.
	CheckProductQAs(ctx context.Context, in []assistant.QA) ([]assistant.QA, []shop.UserError, error)
	UpsertProductQAs(ctx context.Context, in []assistant.QA) ([]assistant.QA, []shop.UserError, error)
	// CheckProductQACaps checks the caps on Q&A entries for a whole file
	// (IDs and products only).
	CheckProductQACaps(in []assistant.QA) []shop.UserError
}

// Run validates every file completely, then writes products, users and
// interactions in batches. Interactions may name users and products from the
// same import or already in the store.
func Run(ctx context.Context, t Target, f Files, o Options) (Report, error) {
	if o.BatchSize <= 0 || o.BatchSize > shop.MaxBatch {
		o.BatchSize = shop.MaxBatch
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	im := &run{t: t, o: o, products: map[string]int{}, users: map[string]int{}}
	now := o.Now()
	// What validation read must be what is written: a file that changes in
	// between is refused before any of it is written.
	before, err := statFiles(f)
	if err != nil {
		return im.report, err
	}
	if err := im.validate(ctx, f, now); err != nil {
		return im.report, err
	}
	im.validated = before
	if im.report.BadLines > 0 {
		return im.report, fmt.Errorf("%w: %d bad lines", ErrInvalid, im.report.BadLines)
	}
	if err := im.write(ctx, f); err != nil {
		return im.report, err
	}
	return im.report, nil
}

type run struct {
	t         Target
	validated map[string]fileStamp // size and modification time at validation
	o         Options
	report    Report
	products  map[string]int // ID -> line, from the products file
	users     map[string]int
}

func (im *run) bad(file string, line int, msg string) {
	im.report.BadLines++
	if len(im.report.Errors) < im.o.MaxErrors {
		im.report.Errors = append(im.report.Errors, LineError{File: file, Line: line, Message: msg})
	}
}

// userErrs turns validation errors into one message per line.
func (im *run) userErrs(file string, line int, errs []shop.UserError) {
	if len(errs) == 0 {
		return
	}
	var parts []string
	for _, e := range errs {
		parts = append(parts, strings.Join(e.Field, ".")+": "+e.Message)
	}
	im.bad(file, line, strings.Join(parts, "; "))
}

func open(path string) (*os.File, Format, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, 0, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open: %w", err)
	}
	return fh, format, nil
}

// each streams the records of one file.
func each[T any](path string, parseCSV func(map[string]string) (T, error), fn func(line int, v T, err error) error) error {
	fh, format, err := open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := Records(fh, format, parseCSV, fn); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (im *run) validate(ctx context.Context, f Files, now time.Time) error {
	if f.Products != "" {
		err := each(f.Products, ParseProductCSV, func(line int, in shop.ProductInput, perr error) error {
			im.report.Products++
			if perr != nil {
				im.bad(f.Products, line, perr.Error())
				return ctx.Err()
			}
			p, errs := in.Normalize()
			im.userErrs(f.Products, line, errs)
			if first, dup := im.products[p.ID]; dup && len(errs) == 0 {
				im.bad(f.Products, line, fmt.Sprintf("id %q is also on line %d", p.ID, first))
			} else if len(errs) == 0 {
				im.products[p.ID] = line
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
	}
	if f.Users != "" {
		err := each(f.Users, ParseUserCSV, func(line int, in shop.UserInput, perr error) error {
			im.report.Users++
			if perr != nil {
				im.bad(f.Users, line, perr.Error())
				return ctx.Err()
			}
			u, errs := in.Normalize()
			im.userErrs(f.Users, line, errs)
			if first, dup := im.users[u.ID]; dup && len(errs) == 0 {
				im.bad(f.Users, line, fmt.Sprintf("id %q is also on line %d", u.ID, first))
			} else if len(errs) == 0 {
				im.users[u.ID] = line
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
	}
	if f.QAs != "" {
		if err := im.validateQAs(ctx, f.QAs); err != nil {
			return err
		}
	}
	if f.Interactions == "" {
		return nil
	}
	// References to IDs not in the files are checked against the store in
	// batches, remembering the answers.
	known := map[string]bool{}
	type ref struct {
		line       int
		id         string
		isProduct  bool
		fieldLabel string
	}
	var pending []ref
	flush := func() error {
		for _, isProduct := range []bool{true, false} {
			var ids []string
			for _, r := range pending {
				if r.isProduct == isProduct {
					ids = append(ids, r.id)
				}
			}
			if len(ids) == 0 {
				continue
			}
			found, err := im.t.Exist(ctx, isProduct, ids)
			if err != nil {
				return err
			}
			for i, id := range ids {
				known[fmt.Sprint(isProduct, id)] = found[i]
			}
		}
		for _, r := range pending {
			if !known[fmt.Sprint(r.isProduct, r.id)] {
				im.bad(f.Interactions, r.line, fmt.Sprintf("%s: no such %s %q (NOT_FOUND)", r.fieldLabel,
					map[bool]string{true: "product", false: "user"}[r.isProduct], r.id))
			}
		}
		pending = pending[:0]
		return nil
	}
	err := each(f.Interactions, ParseInteractionCSV, func(line int, in shop.InteractionInput, perr error) error {
		im.report.Interactions++
		if perr != nil {
			im.bad(f.Interactions, line, perr.Error())
			return ctx.Err()
		}
		it, errs := in.Normalize(now)
		im.userErrs(f.Interactions, line, errs)
		if len(errs) > 0 {
			return ctx.Err()
		}
		if _, ok := im.products[it.ProductID]; !ok {
			pending = append(pending, ref{line, it.ProductID, true, "productID"})
		}
		if _, ok := im.users[it.UserID]; !ok {
			pending = append(pending, ref{line, it.UserID, false, "userID"})
		}
		if len(pending) >= 2*shop.MaxBatch {
			if err := flush(); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	return flush()
}

// write reads the validated files again and writes them in batches; a
// batch the use case rejects means the file changed since validation.
func (im *run) write(ctx context.Context, f Files) error {
	for path := range im.validated {
		if err := im.unchanged(path); err != nil {
			return err
		}
	}
	changed := func(path string, errs []shop.UserError) error {
		return fmt.Errorf("%s changed while importing: %s: %s", path, strings.Join(errs[0].Field, "."), errs[0].Message)
	}
	err := writeFile(im, f.Products, "products", im.report.Products, ParseProductCSV, func(batch []shop.ProductInput) error {
		_, errs, err := im.t.UpsertProducts(ctx, batch)
		if err == nil && errs != nil {
			err = changed(f.Products, errs)
		}
		return err
	})
	if err != nil {
		return err
	}
	err = writeFile(im, f.Users, "users", im.report.Users, ParseUserCSV, func(batch []shop.UserInput) error {
		_, errs, err := im.t.UpsertUsers(ctx, batch)
		if err == nil && errs != nil {
			err = changed(f.Users, errs)
		}
		return err
	})
	if err != nil {
		return err
	}
	err = writeFile(im, f.QAs, "Q&A entries", im.report.QAs, ParseQACSV, func(batch []assistant.QA) error {
		_, errs, err := im.t.UpsertProductQAs(ctx, batch)
		if err == nil && errs != nil {
			err = changed(f.QAs, errs)
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeFile(im, f.Interactions, "interactions", im.report.Interactions, ParseInteractionCSV, func(batch []shop.InteractionInput) error {
		res, errs, err := im.t.RecordInteractions(ctx, batch)
		if err != nil {
			return err
		}
		if errs != nil {
			return fmt.Errorf("%s: a referenced user or product vanished while importing, or the file changed: %s: %s",
				f.Interactions, strings.Join(errs[0].Field, "."), errs[0].Message)
		}
		im.report.Duplicates += res.Duplicates
		return nil
	})
}

// writeFile streams one validated file into the store in batches of
// BatchSize, with a progress bar; an empty path writes nothing.
func writeFile[T any](im *run, path, label string, total int, parseCSV func(map[string]string) (T, error), put func([]T) error) error {
	if path == "" {
		return nil
	}
	bar := newBar(im.o.Progress, label, total)
	defer bar.finish()
	var batch []T
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := put(batch); err != nil {
			return err
		}
		bar.add(len(batch))
		batch = batch[:0]
		return nil
	}
	err := each(path, parseCSV, func(line int, in T, perr error) error {
		if perr != nil {
			return fmt.Errorf("line %d changed after it was validated: %v", line, perr)
		}
		if batch = append(batch, in); len(batch) == im.o.BatchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// bar is a one-line progress bar redrawn with a carriage return.
type bar struct {
	w            io.Writer
	label        string
	total, count int
	last         time.Time
}

func newBar(w io.Writer, label string, total int) *bar { return &bar{w: w, label: label, total: total} }

func (b *bar) add(n int) {
	b.count += n
	if b.w == nil || (time.Since(b.last) < 100*time.Millisecond && b.count < b.total) {
		return
	}
	b.last = time.Now()
	pct := 100
	if b.total > 0 {
		pct = b.count * 100 / b.total
	}
	filled := pct / 5
	fmt.Fprintf(b.w, "\r%-12s [%s%s] %3d%% %d/%d", b.label, strings.Repeat("#", filled), strings.Repeat(".", 20-filled), pct, b.count, b.total)
}

func (b *bar) finish() {
	if b.w != nil {
		b.last = time.Time{}
		b.add(0)
		fmt.Fprintln(b.w)
	}
}

// fileStamp is what tells a changed file from the one validated.
type fileStamp struct {
	size int64
	mod  time.Time
}

func statFiles(f Files) (map[string]fileStamp, error) {
	out := map[string]fileStamp{}
	for _, p := range []string{f.Products, f.Users, f.Interactions, f.QAs} {
		if p == "" {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		out[p] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return out, nil
}

// unchanged refuses a file that is not the one validation read.
func (im *run) unchanged(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if v := im.validated[path]; fi.Size() != v.size || !fi.ModTime().Equal(v.mod) {
		return fmt.Errorf("%s changed after it was validated: import it again", path)
	}
	return nil
}

// validateQAs checks the Q&A file in batches through the use case's own
// validation; an entry may name a product of the products file, which is
// not stored yet.
func (im *run) validateQAs(ctx context.Context, path string) error {
	first := map[string]int{} // ID -> line
	var batch []assistant.QA
	var lines []int
	// lines already known bad (unparsable, a repeated ID), reported in
	// line order with the batch they fall in
	early := map[int]string{}
	flush := func() error {
		byLine := map[int][]shop.UserError{}
		var errs []shop.UserError
		if len(batch) > 0 {
			var err error
			if _, errs, err = im.t.CheckProductQAs(ctx, batch); err != nil {
				return err
			}
		}
		for _, e := range errs {
			i := -1
			if len(e.Field) >= 2 {
				i, _ = strconv.Atoi(e.Field[1])
			}
			if i < 0 || i >= len(batch) {
				// a batch-wide error (the caps): blame the batch's last line
				i = len(batch) - 1
			}
			if e.Code == shop.CodeNotFound && len(e.Field) == 3 && e.Field[2] == "productID" {
				if _, inFile := im.products[batch[i].ProductID]; inFile {
					continue
				}
			}
			e.Field = e.Field[min(2, len(e.Field)):]
			byLine[lines[i]] = append(byLine[lines[i]], e)
		}
		all := slices.Clone(lines)
		for l := range early {
			all = append(all, l)
		}
		slices.Sort(all)
		for _, l := range all {
			if msg, ok := early[l]; ok {
				im.bad(path, l, msg)
			} else {
				im.userErrs(path, l, byLine[l])
			}
		}
		batch, lines = batch[:0], lines[:0]
		clear(early)
		return nil
	}
	// every entry's ID and product, for the caps over the whole file
	var keys []assistant.QA
	var keyLines []int
	err := each(path, ParseQACSV, func(line int, qa assistant.QA, perr error) error {
		im.report.QAs++
		if perr != nil {
			early[line] = perr.Error()
			return ctx.Err()
		}
		if l, dup := first[qa.ID]; dup && qa.ID != "" {
			early[line] = fmt.Sprintf("id %q is also on line %d", qa.ID, l)
			return ctx.Err()
		}
		first[qa.ID] = line
		keys, keyLines = append(keys, assistant.QA{ID: qa.ID, ProductID: qa.ProductID}), append(keyLines, line)
		batch, lines = append(batch, qa), append(lines, line)
		if len(batch)+len(early) >= im.o.BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	// The caps hold for the file as a whole: the batches were checked one
	// by one (and not at all while they named products of this import), so
	// a file over a cap would fail halfway through writing.
	for _, e := range im.t.CheckProductQACaps(keys) {
		i := len(keys) - 1
		if len(e.Field) >= 2 {
			i, _ = strconv.Atoi(e.Field[1])
		}
		if i >= 0 && i < len(keyLines) {
			im.bad(path, keyLines[i], e.Message)
		}
	}
	return nil
}
