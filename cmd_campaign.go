package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/engage"
)

const campaignUsage = `usage: shopmuse campaign export ID --out F.jsonl

  export   write a campaign's messages as JSON lines (stop the service first:
           Badger allows one process per data directory; with
           SHOPMUSE_STORE=postgres://... it may run beside the service)
`

// runCampaign is `shopmuse campaign ...`.
func runCampaign(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	e := envReader{getenv: getenv}
	data, level := e.str("SHOPMUSE_DATA", "./data"), readLogLevel(&e)
	storeCfg := e.str("SHOPMUSE_STORE", app.StoreBadger)
	if e.err != nil {
		return e.err
	}
	log := newLogger(stderr, level)
	if len(args) < 2 || args[0] != "export" {
		return errors.New(strings.TrimSpace(campaignUsage))
	}
	id := args[1]
	fs := flag.NewFlagSet("campaign export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output file (.jsonl); - for standard output")
	fs.StringVar(&data, "data", data, "data directory (SHOPMUSE_DATA)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("campaign export: --out is required\n" + strings.TrimSpace(campaignUsage))
	}
	st, err := app.OpenStore(ctx, app.Config{Data: data, Store: storeCfg, Logger: log})
	if err != nil {
		return fmt.Errorf("campaign export: %w (is the service running on this data directory?)", err)
	}
	defer st.Close()
	svc, err := engage.New(st, nil, nil, engage.Config{Log: log})
	if err != nil {
		return err
	}
	c, err := svc.Campaign(ctx, id)
	if err != nil {
		return err
	}
	if c == nil {
		return fmt.Errorf("campaign export: no campaign %q", id)
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	n, err := svc.Export(ctx, id, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d messages of campaign %s (%s, %d/%d users)\n", n, id, c.Status, c.Done, c.Total)
	return nil
}
