package importer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/shop"
)

var ctx = context.Background()

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openApp opens the service's use cases on a temporary data directory: the
// importer writes through them, as `shopmuse import` does.
func openApp(t *testing.T) *app.App {
	a, err := app.Open(ctx, app.Config{Data: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

const productsJSONL = `{"id":"p1","title":"华为 P50 Pro","category":"数码/手机","price":{"amount":"5999.00"},"attributes":[{"name":"电池","value":"4400mAh"}],"tags":["5G"]}

{"id":"p2","title":"Thermos cup","category":"家居/杯具","price":{"amount":"199"},"language":"EN"}
`

const usersCSV = "id,name,age,gender,interests\nu1,小美,25,female,拍照|户外\nu2,Bob,45,MALE,business\n"

const interactionsCSV = "userID,productID,kind,value,occurredAt,copyVariantID\n" +
	"u1,p1,VIEW,,2026-11-01T10:00:00Z,\n" +
	"u1,p1,PURCHASE,,2026-11-01T10:05:00Z,cv-1\n" +
	"u2,p2,RATE,4,2026-11-02T08:00:00Z,\n"

func TestImportGoodFilesAndRerun(t *testing.T) {
	dir := t.TempDir()
	f := Files{
		Products:     write(t, dir, "products.jsonl", productsJSONL),
		Users:        write(t, dir, "users.csv", usersCSV),
		Interactions: write(t, dir, "interactions.csv", interactionsCSV),
	}
	a := openApp(t)
	s := a.Store
	var progress strings.Builder
	rep, err := Run(ctx, a, f, Options{Progress: &progress})
	if err != nil {
		t.Fatal(err, rep.Errors)
	}
	if rep.Products != 2 || rep.Users != 2 || rep.Interactions != 3 || rep.Duplicates != 0 {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(progress.String(), "interactions") || !strings.Contains(progress.String(), "100%") {
		t.Fatalf("no progress shown: %q", progress.String())
	}
	p, _ := s.Product(ctx, "p1")
	if p == nil || p.Price.Amount.String() != "5999.00" || p.Attributes[0].Value != "4400mAh" {
		t.Fatalf("product %+v", p)
	}
	u, _ := s.User(ctx, "u1")
	if u == nil || *u.Age != 25 || string(*u.Gender) != "FEMALE" || len(u.Interests) != 2 {
		t.Fatalf("user %+v", u)
	}
	evs, _ := s.UserInteractions(ctx, "u1", 10)
	if len(evs) != 2 || evs[0].CopyVariantID != "cv-1" {
		t.Fatalf("events %+v", evs)
	}
	// Running the same import again changes nothing.
	rep, err = Run(ctx, a, f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Duplicates != 3 {
		t.Fatalf("re-run duplicates %d", rep.Duplicates)
	}
	if n, _ := s.CountEvents(ctx); n != 3 {
		t.Fatalf("%d events after re-run", n)
	}
	if p2, _ := s.Product(ctx, "p1"); p2.Version != 1 {
		t.Fatalf("re-run bumped version to %d", p2.Version)
	}
}

func TestImportBadLinesWriteNothing(t *testing.T) {
	dir := t.TempDir()
	f := Files{
		Products: write(t, dir, "products.csv", "id,title,category,price,attributes\n"+
			"p1,华为 P50 Pro,数码/手机,5999.00,电池=4400mAh\n"+
			"p2,坏价格,数码/手机,-1,\n"+
			"p3,,数码/手机,10,\n"+
			"p1,重复,数码,10,\n"+
			"p4,属性坏,数码,10,电池\n"),
		Interactions: write(t, dir, "interactions.jsonl",
			`{"userID":"ghost","productID":"p1","kind":"VIEW","occurredAt":"2026-01-01T00:00:00Z"}`+"\n"+
				`{"userID":"ghost","productID":"p1","kind":"JUMP"}`+"\n"+
				`not json`+"\n"+
				`{"userID":"ghost","productID":"p1","kind":"VIEW","occurredAt":"2999-01-01T00:00:00Z","extra":1}`+"\n"),
	}
	a := openApp(t)
	s := a.Store
	rep, err := Run(ctx, a, f, Options{Now: func() time.Time { return time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) }})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v", err)
	}
	want := map[string]string{
		"products.csv:3":       "price.amount: must not be negative",
		"products.csv:4":       "title: must not be empty",
		"products.csv:5":       `id "p1" is also on line 2`,
		"products.csv:6":       "not name=value",
		"interactions.jsonl:1": `no such user "ghost"`,
		"interactions.jsonl:2": "JUMP",
		"interactions.jsonl:3": "invalid JSON",
		"interactions.jsonl:4": "unknown field",
	}
	got := map[string]string{}
	for _, e := range rep.Errors {
		got[filepath.Base(e.File)+":"+itoa(e.Line)] = e.Message
	}
	for k, frag := range want {
		if !strings.Contains(got[k], frag) {
			t.Errorf("%s: got %q, want it to mention %q", k, got[k], frag)
		}
	}
	if rep.BadLines != len(want) {
		t.Errorf("bad lines %d, want %d: %v", rep.BadLines, len(want), rep.Errors)
	}
	if empty, _ := s.IsEmpty(); !empty {
		t.Fatal("a rejected import wrote something")
	}
}

func TestImportReportsAtMostMaxErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,title,category,price\n")
	for range 150 {
		b.WriteString("x,t,c,-1\n")
	}
	f := Files{Products: write(t, t.TempDir(), "p.csv", b.String())}
	rep, err := Run(ctx, openApp(t), f, Options{})
	if !errors.Is(err, ErrInvalid) || len(rep.Errors) != 100 || rep.BadLines != 150 {
		t.Fatalf("err %v, %d reported, %d bad", err, len(rep.Errors), rep.BadLines)
	}
}

func TestFormatOf(t *testing.T) {
	if _, err := FormatOf("x.xml"); err == nil {
		t.Fatal("accepted .xml")
	}
	if f, _ := FormatOf("X.CSV"); f != CSV {
		t.Fatal("upper-case .CSV")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// changingTarget rewrites a file while the importer validates (its Exist
// runs then), like an upstream job overwriting an export mid-import.
type changingTarget struct {
	Target
	change func()
}

func (c changingTarget) Exist(ctx context.Context, isProduct bool, ids []string) ([]bool, error) {
	c.change()
	return c.Target.Exist(ctx, isProduct, ids)
}

func TestImportRefusesAFileChangedAfterValidation(t *testing.T) {
	dir := t.TempDir()
	a := openApp(t)
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "old", Title: "旧品", Category: "数码", Price: &shop.MoneyInput{Amount: 100}}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	f := Files{
		Products: write(t, dir, "products.jsonl", `{"id":"p1","title":"华为 P50","category":"数码/手机","price":{"amount":"5999.00"}}`+"\n"),
		Users:    write(t, dir, "users.jsonl", `{"id":"u1"}`+"\n"),
		Interactions: write(t, dir, "interactions.jsonl",
			`{"userID":"u1","productID":"old","kind":"VIEW","occurredAt":"2026-01-01T00:00:00Z"}`+"\n"),
	}
	target := changingTarget{Target: a, change: func() {
		write(t, dir, "products.jsonl", `{"id":"p1","title":"华为 P50","category":"数码/手机","price":{"amount":"5999.00"}}`+"\n"+`not json`+"\n")
	}}
	_, err := Run(ctx, target, f, Options{})
	if err == nil || !strings.Contains(err.Error(), "changed after it was validated") {
		t.Fatalf("err %v, want the changed file refused", err)
	}
	if p, _ := a.Store.Product(ctx, "p1"); p != nil {
		t.Fatal("a product of the changed file was written")
	}
	if u, _ := a.Store.User(ctx, "u1"); u != nil {
		t.Fatal("a user was written although the products file changed")
	}
}
