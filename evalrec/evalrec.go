// Package evalrec is `shopmuse eval rec`: the offline evaluation of the
// recommendation engine. It loads interactions (our import format,
// MovieLens or Amazon reviews), splits each user's history into train and
// test, trains every retriever and the blend on the train part with the
// clock stopped at the split, asks Engine.Recommend (the serving path) for
// every test user and reports Recall, NDCG, HitRate and MAP at K, catalogue
// coverage and training time as a table and a chart; single retrievers and
// baselines are reported beside it for diagnosis. It can also tune the blend weights
// on a validation split, write the split for the Gorse side-by-side
// (bench/gorse), and generate a synthetic shop in our import formats.
package evalrec

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

const usage = `usage:
  shopmuse eval rec --interactions F [--products F] [--users F] [--format jsonl|csv|movielens|amazon]
                    [--protocol funnel|norepeat] [--split last-n|last|random] [--last 2] [--session-gap 30m] [--holdout 0.2]
                    [--targets all|new] [--target-kinds auto|all|purchase,add_to_cart] [--exclude purchased|train|none] [--k 10]
                    [--plot out.svg|out.png] [--tune] [--write-split DIR] [--seed N] [--max-users N]
                    [--rules rules.json [--rule-sets a,b]]
  shopmuse eval rec --gen users=50000,products=100000,interactions=1000000 --out DIR [--gen-format shop|movielens] [--gen-funnel=false]

The default protocol (funnel) holds out each user's last 2 carts or purchases and what
they did from the start of that visit on, counts every held-out cart or purchase as a target (also items
seen in training) and removes only purchased items from the ranking: what the service
serves. --protocol norepeat is the earlier protocol (most recent 20% of each user's
events, only items new to the user, all training items excluded).
`

// Options are the parsed flags.
type Options struct {
	Interactions, Products, Users, Format string
	// Protocol is "funnel" (the default) or "norepeat", a preset of the
	// flags below; flags given explicitly win over the preset.
	Protocol string
	Split    string // "last-n" (each user's last LastN targets), "last" (by time) or "random"
	LastN    int    // target events held out per user by "last-n"
	// SessionGap: "last-n" holds out from the start of the visit (events
	// less than this apart) of the first held-out target; 0 cuts at it.
	SessionGap time.Duration
	Holdout    float64 // share of each user's events held out by "last" and "random"
	// Targets is "all" (every held-out target item) or "new" (only items
	// the user did not touch in training).
	Targets string
	// TargetKinds are the kinds of held-out events that are targets: "auto"
	// (purchases and carts when the data has any, else every kind), "all",
	// or a comma list of kinds.
	TargetKinds string
	K           int
	Exclude     string // "purchased", "train" or "none"
	Plot        string
	Tune        bool
	TuneTime    time.Duration
	TuneUsers   int
	TuneTrials  int // 0: no limit but TuneTime
	WriteSplit  string
	Seed        int64
	MaxUsers    int
	Models      []string // empty: every retriever + popularity + blend
	EmbedDim    int
	// NeuMF adds the neural recommender (recommend/neural) as a row.
	NeuMF bool
	// Tuning overrides the engine's blend weights, MMR lambda, category cap
	// and matrix factorisation (--weights, --mmr, --category-cap, --mf),
	// applied exactly as the service applies its SHOPMUSE_REC_* settings.
	// --tune searches from there.
	Tuning recommend.Tuning
	// TuneMF makes --tune also search the MF settings on validation.
	TuneMF bool
	// Validation evaluates on the validation split carved from the
	// training part (what --tune scores on), never on the test part: the
	// way to choose defaults by hand.
	Validation bool
	// HistoryScoring sets recommend.Config.HistoryScoring ("": the default).
	HistoryScoring string
	// NoAutoTune turns off the engine's own fit of the blend weights at
	// training (recommend.Config.AutoTune, SHOPMUSE_REC_AUTOTUNE=off).
	NoAutoTune bool
	// JSON, when set, receives the rows in the shape bench/gorse writes, so
	// bench/compare.sh can print both in one table.
	JSON string
	// HalfLife overrides recommend.Config.HalfLife (0: the default), for
	// data whose history spans far longer than a shop's (MovieLens: months).
	HalfLife time.Duration

	Gen, Out, GenFormat string
	// Placement adds rows for Engine.Recommend asked for another placement
	// (DISCOVER, CONTINUE, BUY_AGAIN) or "all" of them; the blend row is
	// always FOR_YOU.
	Placement string
	// consumable is set from the loaded data (consumables): the items the
	// purchased exclusion keeps.
	consumable func(productID string) bool

	// Rules is a merchandising rule file (the GraphQL
	// MerchandisingRuleInput shape, a JSON array or JSON lines): the blend
	// is scored again with the rules in force, row "blend+rules".
	Rules string
	// RuleSets limits --rules to rules without a rule set and these sets
	// (empty: every rule in the file applies, whatever its set).
	RuleSets []string
	// rules is the parsed file.
	rules []merch.Rule

	// GenFunnel generates the funnel shop (sessions, revisits, re-bought
	// consumables); false keeps the earlier shop without repeats.
	GenFunnel bool
}

// Run is the command: args are the flags after `eval` (or `eval rec`).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rec" {
		args = args[1:]
	}
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) { // -h printed the usage: not a failure
		return nil
	}
	if err != nil {
		return err
	}
	if o.Gen != "" {
		return Generate(o.Gen, o.GenFormat, o.Out, o.Seed, o.GenFunnel, stderr)
	}
	_, err = Evaluate(ctx, o, stdout, stderr)
	return err
}

func parseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("eval rec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	var o Options
	fs.StringVar(&o.Interactions, "interactions", "", "interactions file (our JSONL/CSV, MovieLens u.data or ratings.csv, Amazon review JSON lines)")
	fs.StringVar(&o.Products, "products", "", "products file (our JSONL/CSV, MovieLens u.item or movies.csv, Amazon metadata JSON lines)")
	fs.StringVar(&o.Users, "users", "", "users file (our JSONL/CSV; declared interests feed cold start)")
	fs.StringVar(&o.Format, "format", "", "jsonl, csv, movielens or amazon (default: from the file name and first line)")
	fs.StringVar(&o.Protocol, "protocol", "funnel", "funnel (each user's last carts/purchases, seen items count) or norepeat (the earlier protocol: --split last --targets new --target-kinds all --exclude train); explicit flags win")
	fs.StringVar(&o.Split, "split", "last-n", "last-n: hold out each user's last --last target events and what followed; last: each user's most recent --holdout share; random: a random share")
	fs.IntVar(&o.LastN, "last", 2, "target events held out per user by --split last-n")
	fs.DurationVar(&o.SessionGap, "session-gap", 30*time.Minute, "--split last-n holds out from the start of the visit of the first held-out target (a visit: events less than this apart); 0 cuts at the target itself")
	fs.Float64Var(&o.Holdout, "holdout", 0.2, "share of each user's events held out by --split last and random")
	fs.StringVar(&o.Targets, "targets", "all", "all: every held-out target item counts, also one seen in training; new: only items the user never touched in training")
	fs.StringVar(&o.TargetKinds, "target-kinds", "auto", "kinds of held-out events that are targets: auto (purchase,add_to_cart when the data has them, else all), all, or a list like purchase,add_to_cart")
	fs.IntVar(&o.K, "k", 10, "cut-off of the metrics")
	fs.StringVar(&o.Exclude, "exclude", "purchased", "items removed from a user's ranking (and so from the targets): purchased (bought in training, as the service does), train (every training item) or none")
	fs.StringVar(&o.Plot, "plot", "", "write a chart of NDCG@K and Recall@K per model (.svg or .png)")
	fs.BoolVar(&o.Tune, "tune", false, "search the blend weights on a validation split carved from train")
	mfSpec := fs.String("mf", "", "override MF settings: factors=64,epochs=20,reg=0.3,nu=0.5,alpha=0.3,c0=30,omega=0.5,bpr=1")
	fs.BoolVar(&o.Validation, "validation", false, "score on the validation split carved from the training part (as --tune does) instead of the test part, to choose settings without looking at the test")
	fs.BoolFunc("autotune", "the engine fits its blend weights on a validation split of the training part at every training, as the service does (default true; false: SHOPMUSE_REC_AUTOTUNE=off)", func(s string) error {
		v, err := strconv.ParseBool(s)
		o.NoAutoTune = !v
		return err
	})
	fs.StringVar(&o.HistoryScoring, "history-scoring", "", "override recommend.Config.HistoryScoring (true: item-CF and MF also score the shopper's history items)")
	fs.BoolVar(&o.TuneMF, "tune-mf", true, "with --tune, also choose the matrix factorisation settings on validation")
	fs.Float64Var(&o.Tuning.MMRLambda, "mmr", 0, "override the MMR lambda (1: no diversification)")
	weightSpec := fs.String("weights", "", "override blend weights: mf=1,itemcf=0.3,... (retrievers not named keep their default)")
	fs.Float64Var(&o.Tuning.CategoryCap, "category-cap", 0, "override the per-category share of the top N (1: no cap; default: the engine's)")
	fs.StringVar(&o.JSON, "json", "", "also write the rows as JSON to this file (the shape bench/gorse writes)")
	fs.BoolVar(&o.NeuMF, "neumf", true, "also train and evaluate NeuMF (recommend/neural); --neumf=false skips it")
	fs.DurationVar(&o.TuneTime, "tune-time", 3*time.Minute, "time budget of the --tune search (after training on the validation split)")
	fs.IntVar(&o.TuneTrials, "tune-trials", 0, "at most this many --tune trials (0: only --tune-time bounds it); makes a search reproducible across machines")
	fs.IntVar(&o.TuneUsers, "tune-users", 2000, "validation users scored per --tune trial (more: less noise, slower trials)")
	fs.StringVar(&o.WriteSplit, "write-split", "", "write DIR/train.csv, DIR/test.csv, DIR/products.jsonl and DIR/users.jsonl")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the random split, the tuning and --gen")
	fs.IntVar(&o.MaxUsers, "max-users", 0, "evaluate a deterministic sample of at most N test users (0: all)")
	models := fs.String("models", "", "comma-separated subset of models to evaluate (default: all)")
	fs.StringVar(&o.Placement, "placement", "FOR_YOU", "also score Engine.Recommend for this placement (DISCOVER, CONTINUE, BUY_AGAIN) or all of them, as rows blend/PLACEMENT; the blend row is FOR_YOU")
	fs.IntVar(&o.EmbedDim, "embed-dim", 128, "dimension of the built-in product embedder behind the content retriever")
	fs.DurationVar(&o.HalfLife, "half-life", 0, "override the engine's event half-life for item-CF, MF and profiles (default: the service's, 720h)")
	fs.StringVar(&o.Gen, "gen", "", "generate a synthetic shop: users=N,products=N,interactions=N")
	fs.StringVar(&o.Out, "out", "", "directory for --gen")
	fs.StringVar(&o.GenFormat, "gen-format", "shop", "shop (products.jsonl, users.jsonl, interactions.csv) or movielens (u.data, u.item)")
	fs.StringVar(&o.Rules, "rules", "", "a merchandising rule file (MerchandisingRuleInput objects: a JSON array or JSON lines): the blend is scored again with the rules, as row blend+rules")
	ruleSets := fs.String("rule-sets", "", "with --rules: apply only rules without a rule set and rules of these sets (default: every rule in the file)")
	fs.BoolVar(&o.GenFunnel, "gen-funnel", true, "--gen a funnel shop (sessions, revisits, carts, re-bought consumables); false: the earlier shop without repeats")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch o.Protocol {
	case "funnel":
	case "norepeat":
		for name, v := range map[string]string{"split": "last", "targets": "new", "target-kinds": "all", "exclude": "train"} {
			if !set[name] {
				_ = fs.Set(name, v)
			}
		}
	default:
		return o, fmt.Errorf("eval rec: --protocol %q is neither funnel nor norepeat", o.Protocol)
	}
	var err error
	if o.Tuning.MF, err = recommend.ParseMFOverrides(*mfSpec); err != nil {
		return o, fmt.Errorf("--mf: %w", err)
	}
	if o.Tuning.Weights, err = recommend.ParseWeights(*weightSpec); err != nil {
		return o, fmt.Errorf("--weights: %w", err)
	}
	if c := o.Tuning.CategoryCap; c < 0 || c > 1 {
		return o, fmt.Errorf("--category-cap: %g is not in [0,1]", c)
	}
	if l := o.Tuning.MMRLambda; l < 0 || l > 1 {
		return o, fmt.Errorf("--mmr: %g is not in [0,1]", l)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("eval rec: unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	if *ruleSets != "" {
		if o.Rules == "" {
			return o, errors.New("eval rec: --rule-sets needs --rules")
		}
		o.RuleSets = strings.Split(*ruleSets, ",")
	}
	if o.Rules != "" {
		// Read and validated before any data is loaded: a bad file fails
		// at once, naming the rule and its line. Windows are judged
		// against the split's clock later, not against today.
		data, err := os.ReadFile(o.Rules)
		if err != nil {
			return o, fmt.Errorf("eval rec: --rules: %w", err)
		}
		if o.rules, err = merch.Parse(data, time.Time{}); err != nil {
			return o, fmt.Errorf("eval rec: --rules %s: %w", o.Rules, err)
		}
	}
	if *models != "" {
		for _, m := range strings.Split(*models, ",") {
			if m = strings.TrimSpace(m); m != "" {
				o.Models = append(o.Models, m)
			}
		}
	}
	if _, err := recommend.ParsePlacement(o.Placement); err != nil && o.Placement != "all" {
		return o, fmt.Errorf("eval rec: --placement: %w", err)
	}
	switch {
	case o.Gen != "" && o.Out == "":
		return o, errors.New("eval rec: --gen needs --out DIR")
	case o.Gen != "":
		return o, nil
	case o.Interactions == "":
		return o, fmt.Errorf("eval rec: give --interactions F (or --gen)\n%s", usage)
	case o.Split != "last-n" && o.Split != "last" && o.Split != "random" && o.Split != "time":
		return o, fmt.Errorf("eval rec: --split %q is none of last-n, last, random", o.Split)
	case o.Split == "last-n" && o.LastN < 1:
		return o, fmt.Errorf("eval rec: --last %d: hold out at least one event", o.LastN)
	case o.Targets != "all" && o.Targets != "new":
		return o, fmt.Errorf("eval rec: --targets %q is neither all nor new", o.Targets)
	case o.Holdout <= 0 || o.Holdout >= 1:
		return o, fmt.Errorf("eval rec: --holdout %v must lie strictly between 0 and 1", o.Holdout)
	case o.K <= 0 || o.K > recommend.MaxN:
		return o, fmt.Errorf("eval rec: --k must be between 1 and %d", recommend.MaxN)
	case o.Exclude != "train" && o.Exclude != "purchased" && o.Exclude != "none":
		return o, fmt.Errorf("eval rec: --exclude %q is none of purchased, train, none", o.Exclude)
	}
	if _, err := parseKinds(o.TargetKinds); err != nil {
		return o, err
	}
	if o.Plot != "" {
		if ext := strings.ToLower(filepath.Ext(o.Plot)); ext != ".svg" && ext != ".png" {
			return o, fmt.Errorf("eval rec: --plot %s: want a .svg or .png file", o.Plot)
		}
	}
	return o, nil
}

// progress prints a step with its duration on stderr.
type progress struct {
	w io.Writer
}

func (p progress) step(format string, args ...any) func() {
	start := time.Now()
	fmt.Fprintf(p.w, format+" ...\n", args...)
	return func() {
		fmt.Fprintf(p.w, "  done in %v\n", time.Since(start).Round(time.Millisecond))
	}
}

// engineLogger makes the engine's training log (epochs, durations) the
// progress of the training step, on stderr.
func engineLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mkdirFor(path string) error {
	if dir := filepath.Dir(path); dir != "." {
		return os.MkdirAll(dir, 0o755)
	}
	return nil
}

// parseKinds reads --target-kinds: nil for "auto", empty for "all", else
// the listed kinds (case-insensitive, "cart" for ADD_TO_CART).
func parseKinds(s string) ([]shop.InteractionKind, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "auto", "":
		return nil, nil
	case "all":
		return []shop.InteractionKind{}, nil
	}
	var out []shop.InteractionKind
	for _, part := range strings.Split(s, ",") {
		k := shop.InteractionKind(strings.ToUpper(strings.TrimSpace(part)))
		if k == "CART" {
			k = shop.KindAddToCart
		}
		if !k.Valid() {
			return nil, fmt.Errorf("eval rec: --target-kinds: %q is not one of view, click, like, add_to_cart, purchase, rate", part)
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}
