package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/evalrec"
	"github.com/shopmuse/shopmuse/shop"
)

const evalUsage = `usage: shopmuse eval <what> [flags]

  --interactions F ...   recommendation quality offline: split per user, train every
  (or: rec ...)          retriever, the blend and NeuMF, full-ranking Recall/NDCG/HitRate/MAP@K,
                         coverage, training time, a chart (shopmuse eval --help)
  --gen users=N,products=N,interactions=N --out DIR
                         write a synthetic shop in the import formats
  plot --out F.svg A.json B.json
                         one chart of several --json results on the same split
                         (eval's and bench/gorse's: bench/compare.sh draws it)
  copy                   copy quality over the demo shop x a persona set x every channel:
                         faithfulness, banned terms, length, language, valid UTF-8,
                         Distinct-2, latency, the rubric (persona angles, echoes, filler,
                         repeated openings, benefit density) and BLEU-4/ROUGE-L against
                         the built-in human-written reference set (shopmuse eval copy [--llm])
  ask [-v] [--catalog served|mem]
                         the shopping assistant over a question set generated from the demo
                         shop, asked through App.Ask on the demo shop as served (Badger, embedded
                         defaults, trained models: hybrid search, stored Q&A, the shopper's
                         recommendations): accuracy per category, citation precision, answer and
                         refusal precision, refusal recall, NDCG@5 of need questions, latency
                         p50/p99, dev and held-out third apart (-v lists the dev failures);
                         --catalog mem: the answerer alone over an in-memory catalogue
`

// runEval is `shopmuse eval ...`.
func runEval(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("eval: say what to evaluate\n%s", evalUsage)
	}
	switch {
	case args[0] == "copy":
		return evalCopy(ctx, getenv, args[1:], stdout, stderr)
	case args[0] == "ask":
		return evalAsk(ctx, args[1:], stdout, stderr)
	case args[0] == "plot":
		return evalrec.RunPlot(args[1:], stderr)
	case args[0] == "rec" || strings.HasPrefix(args[0], "-"):
		return evalrec.Run(ctx, args, stdout, stderr)
	}
	return fmt.Errorf("eval: unknown evaluation %q\n%s", args[0], evalUsage)
}

// evalCopy runs copywriter.Evaluate over the demo catalogue: the built-in
// writer by default, the configured LLM writer with --llm.
func evalCopy(ctx context.Context, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useLLM := fs.Bool("llm", false, "evaluate the LLM writer configured by SHOPMUSE_LLM instead of the built-in one")
	limit := fs.Int("products", 0, "evaluate only the first N demo products (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	wcfg := copywriter.Config{}
	if *useLLM {
		llmCfg, ok, err := copywriter.LLMConfigFrom(getenv)
		if err != nil {
			return fmt.Errorf("eval copy --llm: %w", err)
		}
		if !ok {
			return fmt.Errorf("eval copy --llm: set SHOPMUSE_LLM (openai or ollama) and SHOPMUSE_LLM_MODEL")
		}
		llm, err := copywriter.NewLLMWriter(llmCfg)
		if err != nil {
			return err
		}
		wcfg.LLM = llm
	}
	d := demo.Generate(time.Now())
	products, errs := shop.NormalizeProducts(d.Products, "demo")
	if errs != nil {
		return fmt.Errorf("demo products: %v", errs[0])
	}
	for i := range products {
		products[i].Version = 1
	}
	if *limit > 0 && *limit < len(products) {
		products = products[:*limit]
	}
	personas := copywriter.DefaultPersonas()
	fmt.Fprintf(stderr, "evaluating %d products x %d personas x %d channels...\n", len(products), len(personas), len(copywriter.Channels))
	_, err := copywriter.Evaluate(ctx, copywriter.NewWriter(wcfg), products, personas, stdout)
	return err
}
