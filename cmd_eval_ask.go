package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/assistant/askeval"
)

// evalAsk is `shopmuse eval ask`: the built-in answerer over the generated
// question set (askeval), dev part and held-out third reported apart.
func evalAsk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval ask", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "list the dev part's failures (the held-out part's are never listed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := askeval.Generate()
	if err != nil {
		return fmt.Errorf("eval ask: %w", err)
	}
	a := assistant.NewBuiltin(assistant.NewMemCatalog(set.Products, set.QAs))
	// one warm-up pass so that latency measures answering, not first-use setup
	askeval.Run(ctx, a, set, set.Items[:min(20, len(set.Items))])
	rs := askeval.Run(ctx, a, set, set.Items)
	fmt.Fprintf(stdout, "answerer %s over the demo shop (%d products, %d Q&A entries)\n", a.Name(), len(set.Products), len(set.QAs))
	askeval.Report(stdout, set, rs, *verbose)
	return nil
}
