package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/assistant/askeval"
)

// evalAsk is `shopmuse eval ask`: the shopping assistant over the generated
// question set (askeval), dev part and held-out third reported apart.
//
// By default it measures the path a shopper gets: App.Ask over a real App
// opened in a temporary directory (Badger, the embedded defaults, the demo
// shop loaded as a first start loads it, the models trained as the first
// start trains them), so need questions go through hybrid search and
// answers cite the Q&A entries stored in the store. --catalog mem measures
// the built-in answerer alone over assistant.NewMemCatalog (the demo data
// in memory, an in-memory BM25 for need questions): a side path, kept to
// tell the answerer's faults from the served path's.
func evalAsk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "list the dev part's failures (the held-out part's are never listed)")
	catalog := fs.String("catalog", "served", "served: through App.Ask over the demo shop opened as `shopmuse` opens it; "+
		"mem: the built-in answerer over an in-memory catalogue (not what a shopper gets)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := askeval.Generate()
	if err != nil {
		return fmt.Errorf("eval ask: %w", err)
	}
	var a assistant.Answerer
	var path string
	switch *catalog {
	case "served":
		dir, err := os.MkdirTemp("", "shopmuse-eval-ask-")
		if err != nil {
			return fmt.Errorf("eval ask: %w", err)
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(stderr, "opening the demo shop in %s and training its models...\n", dir)
		served, err := openEvalShop(ctx, dir, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		if err != nil {
			return fmt.Errorf("eval ask: %w", err)
		}
		defer served.Close()
		if err := sameShop(ctx, served, set); err != nil {
			return fmt.Errorf("eval ask: the stored demo shop is not the question set's: %w", err)
		}
		a = served.Answerer()
		path = fmt.Sprintf("through App.Ask over the demo shop as served (Badger, embedded defaults, trained models): "+
			"hybrid search and the shopper's recommendations for need questions, %d Q&A entries read from the store", len(set.QAs))
	case "mem":
		a = assistant.NewBuiltin(assistant.NewMemCatalog(set.Products, set.QAs))
		path = fmt.Sprintf("over an in-memory catalogue (NewMemCatalog: in-memory BM25 for need questions, %d Q&A entries in memory), "+
			"NOT the path a shopper gets (use --catalog served)", len(set.QAs))
	default:
		return fmt.Errorf("eval ask: --catalog %q: want served or mem", *catalog)
	}
	// one warm-up pass so that latency measures answering, not first-use setup
	askeval.Run(ctx, a, set, set.Items[:min(20, len(set.Items))])
	rs := askeval.Run(ctx, a, set, set.Items)
	fmt.Fprintf(stdout, "answerer %s, %s\n", a.Name(), path)
	fmt.Fprintf(stdout, "demo shop: %d products, %d Q&A entries\n", len(set.Products), len(set.QAs))
	askeval.Report(stdout, set, rs, *verbose)
	if *catalog == "served" {
		// No item of the set carries a user context; the need questions
		// are asked again as signed-in shoppers so that the shopper's
		// recommendations, which join the candidates then, are measured.
		shoppers := askeval.AsShoppers(set, set.Items)
		askeval.Run(ctx, a, set, shoppers[:min(10, len(shoppers))]) // warm-up, as above
		askeval.ReportShoppers(stdout, askeval.Run(ctx, a, set, shoppers))
	}
	return nil
}

// openEvalShop opens the service's App in dir as `shopmuse` opens it on a
// first start with no environment (Badger under dir, the embedded vector
// index and built-in embedder, the demo shop loaded through the use cases),
// and trains the models as that first start does before serving.
func openEvalShop(ctx context.Context, dir string, log *slog.Logger) (*app.App, error) {
	cfg, _, err := loadAppConfig(func(k string) string {
		if k == "SHOPMUSE_DATA" {
			return dir
		}
		return "" // the defaults, whatever this shell's environment says
	})
	if err != nil {
		return nil, err
	}
	if !cfg.Demo || cfg.Store != app.StoreBadger || cfg.Qdrant != nil || cfg.LLM != nil {
		return nil, errors.New("the default configuration is no longer the demo shop on Badger with the built-in answerer")
	}
	cfg.Logger = log
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := a.Train(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("train: %w", err)
	}
	return a, nil
}

// sameShop checks that the store holds the products and Q&A entries the
// question set was written from, under the same IDs and with the same
// facts, so that the set's labels (and the scoring's citation checks, which
// read the set's copy) hold for the served path.
func sameShop(ctx context.Context, a *app.App, set *askeval.Set) error {
	ids := make([]string, len(set.Products))
	for i, p := range set.Products {
		ids[i] = p.ID
	}
	stored, err := a.Store.Products(ctx, ids)
	if err != nil {
		return err
	}
	for i, p := range set.Products {
		s := stored[i]
		switch {
		case s == nil:
			return fmt.Errorf("product %s is not stored", p.ID)
		case s.Title != p.Title || s.Category != p.Category || s.Brand != p.Brand || s.Price != p.Price ||
			s.Promotion != p.Promotion || s.Description != p.Description || s.Language != p.Language ||
			!slices.Equal(s.Attributes, p.Attributes) || !slices.Equal(s.Tags, p.Tags):
			return fmt.Errorf("product %s is stored with other facts", p.ID)
		}
	}
	if n, err := a.Store.CountProducts(ctx, nil); err != nil || n != len(set.Products) {
		return fmt.Errorf("%d products stored, the set has %d (%v)", n, len(set.Products), err)
	}
	for _, q := range set.QAs {
		if !slices.Contains(a.ProductQAs(q.ProductID), q) {
			return fmt.Errorf("Q&A entry %s of %s is not stored as the set has it", q.ID, q.ProductID)
		}
	}
	return nil
}
