package importer

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/app"
)

// Q&A entries import from CSV or JSONL; they may name products of the same
// import; a bad line is named and nothing is written.
func TestImportQAs(t *testing.T) {
	dir := t.TempDir()
	a := openApp(t)
	products := write(t, dir, "products.jsonl", productsJSONL)
	bad := write(t, dir, "qas.csv", "id,productID,question,answer\n"+
		"q1,p1,保修多久？,全国联保1年。\n"+
		"q2,nope,能用吗,可以\n"+ // line 3: unknown product
		"q3,p2,,empty question\n"+ // line 4: required
		"q1,p2,again,duplicate id\n"+ // line 5: duplicate of line 2
		"q4,p2,\"Is it dishwasher safe?\",\""+strings.Repeat("x", 2001)+"\"\n") // line 6: too long
	rep, err := Run(ctx, a, Files{Products: products, QAs: bad}, Options{})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v", err)
	}
	var got []string
	for _, e := range rep.Errors {
		got = append(got, e.String())
	}
	want := []string{
		bad + ":3: productID: no product with id \"nope\"",
		bad + ":4: question: must not be empty",
		bad + ":5: id \"q1\" is also on line 2",
		bad + ":6: answer: must be at most 2000 characters",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p, _ := a.Store.Product(ctx, "p1"); p != nil || len(a.ProductQAs("p1")) != 0 {
		t.Fatal("a rejected import wrote something")
	}
	good := write(t, dir, "qas.jsonl", `{"id":"q1","productID":"p1","question":"保修多久？","answer":"全国联保1年。"}
{"id":"q2","productID":"p2","question":"Dishwasher safe?","answer":"Hand wash only."}
`)
	rep, err = Run(ctx, a, Files{Products: products, QAs: good}, Options{})
	if err != nil || rep.QAs != 2 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
	if qas := a.ProductQAs("p1"); len(qas) != 1 || qas[0].Answer != "全国联保1年。" {
		t.Fatalf("p1's entries %+v", qas)
	}
	// JSONL lines have the input's shape: unknown fields are errors.
	typo := write(t, dir, "typo.jsonl", `{"id":"q9","productID":"p1","question":"x","answr":"y"}`+"\n")
	rep, err = Run(ctx, a, Files{QAs: typo}, Options{})
	if !errors.Is(err, ErrInvalid) || len(rep.Errors) != 1 || rep.Errors[0].Line != 1 || !strings.Contains(rep.Errors[0].Message, "answr") {
		t.Fatalf("typo: %v %+v", err, rep.Errors)
	}
}

// The per-product cap holds for a whole file: entries of one product over
// MaxQAsPerProduct are refused at validation (also for a product of the
// same import, and across batches), so nothing is written, rather than
// failing halfway through the write.
func TestImportQAsOverTheCapWritesNothing(t *testing.T) {
	for _, batch := range []int{0, 50} {
		dir := t.TempDir()
		a := openApp(t)
		products := write(t, dir, "products.jsonl", productsJSONL)
		var sb strings.Builder
		sb.WriteString("id,productID,question,answer\n")
		for i := range app.MaxQAsPerProduct + 1 {
			fmt.Fprintf(&sb, "q%03d,p1,保修多久？,全国联保1年。\n", i)
		}
		qas := write(t, dir, "qas.csv", sb.String())
		_, err := Run(ctx, a, Files{Products: products, QAs: qas}, Options{BatchSize: batch})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("batch %d: err %v, want ErrInvalid", batch, err)
		}
		if p, _ := a.Store.Product(ctx, "p1"); p != nil || len(a.ProductQAs("p1")) != 0 {
			t.Errorf("batch %d: a refused import wrote %d entries", batch, len(a.ProductQAs("p1")))
		}
	}
}
