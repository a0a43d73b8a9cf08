package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/shopmuse/shopmuse/assistant"
)

// BenchmarkAsk times Ask on the demo shop beside its baseline in the same
// run, a hybrid search for the same need (what a need's candidates cost):
//
//	go test -run XXX -bench Ask -benchtime 300x ./app
func BenchmarkAsk(b *testing.B) {
	a, err := Open(context.Background(), Config{Data: b.TempDir(), Demo: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	b.Run("baseline-search", func(b *testing.B) {
		for range b.N {
			if _, err := a.Search.Search(ctx, "送女朋友的护肤品", 10, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		q    assistant.Question
	}{
		{"attribute", assistant.Question{Text: "电池多大？", ProductID: "sku-phone-0001"}},
		{"qa", assistant.Question{Text: "包装里有充电器吗", ProductID: "sku-phone-0001"}},
		{"need", assistant.Question{Text: "有没有送女朋友的护肤品，500以内"}},
		{"need-personal", assistant.Question{Text: "有没有3000元以内适合拍照的手机", UserID: "u003"}},
		{"unknown", assistant.Question{Text: "这个支持无线充电吗", ProductID: "sku-phone-0001"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				if _, err := a.Ask(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
