package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// The shopping assistant's use cases: Ask (and its stream), the shop's Q&A
// entries (assistant_qa.go) and the questions it could not answer
// (assistant_unanswered.go).

// assistantState is the assistant's part of App.
type assistantState struct {
	builtin assistant.Answerer
	// facets caches the shop's category paths and brands for a minute
	// (assistant.Facets and assistant.Brands).
	facetsMu sync.Mutex
	cats     []string
	brands   []string
	facetsAt time.Time
	// llm answers first when SHOPMUSE_LLM is set; nil otherwise.
	llm       *assistant.LLM
	fallbacks *prometheus.CounterVec
	answers   *prometheus.CounterVec
}

// openAssistant builds the answerers over the catalogue and loads the Q&A
// entries and the unanswered-question groups.
func (a *App) openAssistant(ctx context.Context) error {
	a.qas = newQAIndex()
	s := &assistantState{builtin: assistant.NewBuiltin(assistantCatalog{a})}
	var err error
	if s.fallbacks, err = registerCounterVec(a, prometheus.CounterOpts{Name: "shopmuse_assistant_fallbacks_total",
		Help: "LLM answers not used, by reason (llm_error, bad_json, bad_kind, bad_citation, unsupported_claim, barred_term); the built-in answerer answered."}, "reason"); err != nil {
		return err
	}
	if s.answers, err = registerCounterVec(a, prometheus.CounterOpts{Name: "shopmuse_assistant_answers_total",
		Help: "Answers served by the shopping assistant, by kind and generator (builtin or llm)."}, "kind", "generator"); err != nil {
		return err
	}
	dropped, err := registerCounterVec(a, prometheus.CounterOpts{Name: "shopmuse_assistant_unanswered_dropped_total",
		Help: "Unanswered questions not recorded because MaxUnansweredGroups groups are kept already."})
	if err != nil {
		return err
	}
	a.unanswered = newUnansweredLog(func() { dropped.WithLabelValues().Inc() })
	if a.cfg.LLM != nil {
		c := *a.cfg.LLM
		c.Logger = a.log
		// Through the copy writer's client: one bound on LLM calls in
		// flight (SHOPMUSE_LLM_CONCURRENCY) for copy and answers together.
		c.HTTPClient = a.llmHTTP
		if s.llm, err = assistant.NewLLM(c, assistantCatalog{a}); err != nil {
			return err
		}
	}
	a.assist = s
	// Another replica wrote Q&A entries or flushed unanswered groups.
	a.ReloadOn(qaNS, func(ctx context.Context, _ []string) error { return a.ReloadQAs(ctx) })
	a.ReloadOn(unansweredInfoNS, a.reloadUnanswered)
	return a.ReloadAssistant(ctx)
}

// ReloadAssistant re-reads what the assistant keeps in memory from the
// store: the Q&A entries and the known unanswered-question groups. A
// replica calls it when another replica changed them.
func (a *App) ReloadAssistant(ctx context.Context) error {
	if err := a.ReloadQAs(ctx); err != nil {
		return err
	}
	return a.ReloadUnanswered(ctx)
}

func registerCounterVec(a *App, opts prometheus.CounterOpts, labels ...string) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(opts, labels)
	if err := a.Metrics.Registry.Register(c); err != nil {
		// An App reopened on the same Metrics keeps counting in the first
		// one's series.
		are, ok := err.(prometheus.AlreadyRegisteredError)
		if !ok {
			return nil, fmt.Errorf("register %s: %w", opts.Name, err)
		}
		return are.ExistingCollector.(*prometheus.CounterVec), nil
	}
	return c, nil
}

// ErrBadQuestion is a question Ask refuses: empty, too long, not UTF-8, or
// naming an unknown product.
var ErrBadQuestion = assistant.ErrBadQuestion

// CheckQuestion validates a question before it is answered; the resolvers
// turn its error into BAD_USER_INPUT or NOT_FOUND.
func (a *App) CheckQuestion(ctx context.Context, q *assistant.Question) error {
	q.Text = strings.TrimSpace(q.Text)
	switch {
	case !utf8.ValidString(q.Text):
		return fmt.Errorf("%w: question must be valid UTF-8", ErrBadQuestion)
	case q.Text == "":
		return fmt.Errorf("%w: question must not be empty", ErrBadQuestion)
	case utf8.RuneCountInString(q.Text) > assistant.MaxQuestionRunes:
		return fmt.Errorf("%w: question must be at most %d characters", ErrBadQuestion, assistant.MaxQuestionRunes)
	}
	if q.Language != "" && !q.Language.Valid() {
		return fmt.Errorf("%w: language %q: want ZH or EN", ErrBadQuestion, string(q.Language))
	}
	if len(q.ProductIDs) > assistant.MaxProductIDs {
		return fmt.Errorf("%w: at most %d products", ErrBadQuestion, assistant.MaxProductIDs)
	}
	for _, id := range append([]string{q.ProductID, q.UserID}, q.ProductIDs...) {
		if id == "" {
			continue
		}
		if code, msg := shop.ValidateID(id); code != "" {
			return fmt.Errorf("%w: id %s", ErrBadQuestion, msg)
		}
	}
	ids := q.ProductIDs
	if q.ProductID != "" {
		ids = append([]string{q.ProductID}, ids...)
	}
	if len(ids) > 0 {
		found, err := a.Store.Exist(ctx, true, ids)
		if err != nil {
			return err
		}
		for i, ok := range found {
			if !ok {
				return fmt.Errorf("%w: %w", ErrBadQuestion, &NotFoundError{What: "product", ID: ids[i]})
			}
		}
	}
	return nil
}

// NotFoundError names what a request referred to that does not exist.
type NotFoundError struct{ What, ID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("no %s with id %q", e.What, e.ID) }

// Ask answers a shopper's question. With an LLM configured it answers
// first, and an answer that fails verification (or no answer) is replaced
// by the built-in answerer's, counted in
// shopmuse_assistant_fallbacks_total{reason}; handoff questions always go
// to the built-in rules. An UNKNOWN answer is recorded for
// unansweredQuestions, without who asked.
func (a *App) Ask(ctx context.Context, q assistant.Question) (assistant.Answer, error) {
	if err := a.CheckQuestion(ctx, &q); err != nil {
		return assistant.Answer{}, err
	}
	parsed := assistant.Parse(q)
	ans, err := a.answer(ctx, q, parsed)
	if err != nil {
		return assistant.Answer{}, err
	}
	if ans.Checks == nil {
		if ans.Checks, err = a.checkAnswer(ctx, ans); err != nil {
			return assistant.Answer{}, err
		}
		if !copywriter.Passed(ans.Checks) {
			a.log.Warn("assistant answer fails its checks", "generator", ans.Generator, "kind", ans.Kind, "checks", ans.Checks)
		}
	}
	if ans.Citations == nil {
		ans.Citations = []assistant.Citation{}
	}
	gen := ans.Generator
	if strings.HasPrefix(gen, "llm:") {
		gen = "llm"
	}
	a.assist.answers.WithLabelValues(string(ans.Kind), gen).Inc()
	if ans.Kind == assistant.KindUnknown {
		topic := ""
		if len(parsed.Topics) > 0 {
			topic = parsed.Topics[0]
		}
		a.unanswered.record(q.ProductID, topic, q.Text, a.Store.Now())
	}
	return ans, nil
}

func (a *App) answer(ctx context.Context, q assistant.Question, parsed assistant.Parsed) (assistant.Answer, error) {
	if a.assist.llm != nil && parsed.Intent != assistant.IntentHandoff {
		ans, err := a.assist.llm.Answer(ctx, q)
		if err == nil {
			return ans, nil
		}
		if ctx.Err() != nil {
			return assistant.Answer{}, ctx.Err()
		}
		reason, ok := assistant.IsUnverified(err)
		if !ok {
			reason = assistant.ReasonLLMError
		}
		a.assist.fallbacks.WithLabelValues(reason).Inc()
		a.log.Info("LLM answer replaced by the built-in answerer", "reason", reason, "err", err)
	}
	ans, err := a.assist.builtin.Answer(ctx, q)
	if err != nil {
		return assistant.Answer{}, fmt.Errorf("answer: %w", err)
	}
	return ans, nil
}

// checkAnswer runs the copy checks on an answer that came without them:
// the text and the product reasons may state the cited values and the
// names of the products cited or listed.
func (a *App) checkAnswer(ctx context.Context, ans assistant.Answer) ([]copywriter.Check, error) {
	var grounds, ids []string
	seen := map[string]bool{}
	for _, c := range ans.Citations {
		grounds = append(grounds, c.Value)
		if !seen[c.ProductID] {
			seen[c.ProductID] = true
			ids = append(ids, c.ProductID)
		}
	}
	text := ans.Text
	for _, p := range ans.Products {
		text += "\n" + p.Reason
		if !seen[p.ProductID] {
			seen[p.ProductID] = true
			ids = append(ids, p.ProductID)
		}
	}
	ps, err := a.Store.Products(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p != nil {
			grounds = append(grounds, p.Title, p.Brand)
		}
	}
	return copywriter.CheckAnswer(nil, grounds, text), nil
}

// AskStream is Ask, streamed: the final answer's text in small pieces,
// then the answer. Only checked text is streamed: the answer is complete
// and verified (or replaced by the built-in one) before its first piece is
// sent, so a client never holds text that was later withdrawn.
func (a *App) AskStream(ctx context.Context, q assistant.Question, onDelta func(string) error) (assistant.Answer, error) {
	ans, err := a.Ask(ctx, q)
	if err != nil {
		return ans, err
	}
	for _, p := range words.Pieces(ans.Text) {
		if err := onDelta(p); err != nil {
			return ans, err
		}
	}
	return ans, nil
}

// assistantCatalog is the shop as the assistant reads it.
type assistantCatalog struct{ a *App }

var (
	_ assistant.Facets = assistantCatalog{}
	_ assistant.Brands = assistantCatalog{}
)

func (c assistantCatalog) Product(ctx context.Context, id string) (*shop.Product, error) {
	return c.a.Store.Product(ctx, id)
}

func (c assistantCatalog) Products(ctx context.Context, ids []string) ([]*shop.Product, error) {
	ps, err := c.a.Store.Products(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Categories implements assistant.Facets: the shop's category paths.
func (c assistantCatalog) Categories(ctx context.Context) ([]string, error) {
	cats, _, err := c.facets(ctx)
	return cats, err
}

// Brands implements assistant.Brands: the shop's brand names.
func (c assistantCatalog) Brands(ctx context.Context) ([]string, error) {
	_, brands, err := c.facets(ctx)
	return brands, err
}

// facets reads the category paths and brands from the catalogue, at most
// once a minute (a scan of every product).
func (c assistantCatalog) facets(ctx context.Context) (cats, brands []string, err error) {
	s := c.a.assist
	s.facetsMu.Lock()
	defer s.facetsMu.Unlock()
	if s.cats != nil && time.Since(s.facetsAt) < time.Minute {
		return s.cats, s.brands, nil
	}
	seen := map[string]bool{}
	cats, brands = []string{}, []string{}
	err = c.a.Store.EachProduct(ctx, func(p *shop.Product) error {
		if p.Category != "" && !seen["c\x00"+p.Category] {
			seen["c\x00"+p.Category] = true
			cats = append(cats, p.Category)
		}
		if p.Brand != "" && !seen["b\x00"+p.Brand] {
			seen["b\x00"+p.Brand] = true
			brands = append(brands, p.Brand)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalogue facets: %w", err)
	}
	slices.Sort(cats)
	slices.Sort(brands)
	s.cats, s.brands, s.facetsAt = cats, brands, time.Now()
	return cats, brands, nil
}

func (c assistantCatalog) QAs(_ context.Context, productID string) ([]assistant.QA, error) {
	return c.a.ProductQAs(productID), nil
}

// Candidates fuses hybrid search over the query with the shopper's own
// recommendations (when userID is given) by reciprocal rank, both under
// the filter; products in both lists come first.
func (c assistantCatalog) Candidates(ctx context.Context, query string, filter shop.ProductFilter, userID string, first int) ([]*shop.Product, error) {
	if first <= 0 {
		return nil, nil
	}
	const k = 10.0 // reciprocal-rank constant: a rank's weight is 1/(k+rank)
	score := map[string]float64{}
	var order []string
	add := func(id string, rank int, weight float64) {
		if _, ok := score[id]; !ok {
			order = append(order, id)
		}
		score[id] += weight / (k + float64(rank))
	}
	if strings.TrimSpace(query) != "" {
		hits, err := c.a.Search.Search(ctx, query, 2*first, &filter)
		if err != nil {
			return nil, fmt.Errorf("candidates: search: %w", err)
		}
		for i, h := range hits {
			add(h.ProductID, i, 1)
		}
	}
	if userID != "" {
		recs, err := c.a.Recommend.Recommend(ctx, recommend.Request{UserID: userID, N: first, Filter: &filter, Placement: recommend.PlacementForYou})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A shopper the models cannot serve still gets an answer.
			c.a.log.Warn("assistant candidates: recommendations", "err", err)
		}
		for i, r := range recs {
			add(r.ItemID, i, 0.8)
		}
	}
	ps, err := c.a.Store.Products(ctx, order)
	if err != nil {
		return nil, err
	}
	var out []*shop.Product
	for _, p := range ps {
		if p != nil && filter.Matches(p) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(x, y *shop.Product) int { return cmp.Compare(score[y.ID], score[x.ID]) })
	if len(out) > first {
		out = out[:first]
	}
	return out, nil
}

// Answerer is Ask as an assistant.Answerer, for evaluations that must
// measure the path a shopper gets (askeval.Run in `shopmuse eval ask`):
// the question is checked, answered over the store, hybrid search, the
// shopper's recommendations and the stored Q&A entries, checked again and
// counted, exactly as the ask query does once the resolver has applied the
// caller's role.
func (a *App) Answerer() assistant.Answerer { return servedAnswerer{a} }

type servedAnswerer struct{ a *App }

func (s servedAnswerer) Answer(ctx context.Context, q assistant.Question) (assistant.Answer, error) {
	return s.a.Ask(ctx, q)
}

// Name is "App.Ask" and the answerer that answers first: builtin, or the
// LLM answerer's name with the built-in one behind it.
func (s servedAnswerer) Name() string {
	if s.a.assist.llm != nil {
		return "App.Ask (" + s.a.assist.llm.Name() + ", falling back to " + s.a.assist.builtin.Name() + ")"
	}
	return "App.Ask (" + s.a.assist.builtin.Name() + ")"
}
