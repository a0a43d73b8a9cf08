package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/importer"
)

// runImport is `shopmuse import --products F --users F --interactions F --qas F`.
// It opens the data directory itself, so the service must not be running,
// and writes through the same use cases as the API.
func runImport(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	cfg, level, err := loadAppConfig(getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f importer.Files
	fs.StringVar(&f.Products, "products", "", "products file (.jsonl or .csv)")
	fs.StringVar(&f.Users, "users", "", "users file (.jsonl or .csv)")
	fs.StringVar(&f.Interactions, "interactions", "", "interactions file (.jsonl or .csv)")
	fs.StringVar(&f.QAs, "qas", "", "Q&A entries file (.jsonl or .csv: id,productID,question,answer)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data directory (SHOPMUSE_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f == (importer.Files{}) {
		return errors.New("import: name at least one of --products, --users, --interactions, --qas")
	}
	// An import is data of its own: the demo shop must not join it.
	cfg.Demo = false
	cfg.Logger = newLogger(stderr, max(level, slog.LevelWarn))
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("import: %w (is the service running on this data directory?)", err)
	}
	defer a.Close()
	rep, err := importer.Run(ctx, a, f, importer.Options{Progress: stderr})
	if err == nil {
		// A first catalogue went in through Upsert: fit the built-in
		// embedder on it now rather than at the service's next start.
		err = a.Search.Refit(ctx)
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(stderr, e)
	}
	if rep.BadLines > len(rep.Errors) {
		fmt.Fprintf(stderr, "... and %d more bad lines\n", rep.BadLines-len(rep.Errors))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d products, %d users, %d interactions (%d already present), %d Q&A entries\n",
		rep.Products, rep.Users, rep.Interactions, rep.Duplicates, rep.QAs)
	return nil
}
