package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// FuzzParseLine feeds arbitrary lines to the JSONL and CSV parsers and the
// validation behind them: nothing may panic, and whatever validates must be
// within the limits.
func FuzzParseLine(f *testing.F) {
	f.Add(`{"id":"p1","title":"华为 P50 Pro","category":"数码/手机","price":{"amount":"5999.00"}}`, "p1,标题,数码,12.5,电池=4400mAh")
	f.Add(`{"userID":"u1","productID":"p1","kind":"RATE","value":4}`, "u1,p1,RATE,4,2026-11-01T10:00:00Z,")
	f.Add(`{"id":"x","price":{"amount":1e400}}`, `"a,b",c,"d`)
	f.Fuzz(func(t *testing.T, jsonLine, csvLine string) {
		now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
		if in, err := ParseJSONLine[shop.ProductInput]([]byte(jsonLine)); err == nil {
			if p, errs := in.Normalize(); len(errs) == 0 && (p.Price.Amount < 0 || p.ID == "") {
				t.Fatalf("accepted %+v", p)
			}
		}
		if in, err := ParseJSONLine[shop.InteractionInput]([]byte(jsonLine)); err == nil {
			if it, errs := in.Normalize(now); len(errs) == 0 && it.OccurredAt.After(now.Add(shop.FutureTolerance)) {
				t.Fatalf("accepted a future event %+v", it)
			}
		}
		for _, header := range []string{"id,title,category,price,attributes", "userID,productID,kind,value,occurredAt,copyVariantID", "id,name,age,gender,interests"} {
			r := strings.NewReader(header + "\n" + csvLine + "\n")
			_ = Records(r, CSV, ParseProductCSV, func(int, shop.ProductInput, error) error { return nil })
			r = strings.NewReader(header + "\n" + csvLine + "\n")
			_ = Records(r, CSV, ParseInteractionCSV, func(int, shop.InteractionInput, error) error { return nil })
			r = strings.NewReader(header + "\n" + csvLine + "\n")
			_ = Records(r, CSV, ParseUserCSV, func(_ int, in shop.UserInput, err error) error {
				if err == nil {
					if u, errs := in.Normalize(); len(errs) == 0 && u.Age != nil && (*u.Age < 0 || *u.Age > shop.MaxAge) {
						t.Fatalf("accepted age %d", *u.Age)
					}
				}
				return nil
			})
		}
	})
}
