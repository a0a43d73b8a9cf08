// Package assistant answers shoppers' questions from the catalogue's facts:
// questions about one product (attributes, price, promotion, what is in the
// box, compatibility), need questions ("3000元以内适合拍照的手机"), comparisons
// of two products, and honest refusals — UNKNOWN when the facts do not say,
// HANDOFF for what a catalogue cannot answer (orders, refunds, delivery).
//
// Every claim of an answer is cited: a Citation names the product and the
// field (title, price, promotion, description, attribute:<name>, qa:<id>)
// whose value supports it. Answers are checked as marketing copy is
// (package copywriter): every number in the text must be a number of a cited
// fact, and barred terms fail.
//
// Two answerers share the types here: the built-in one (Builtin; no model:
// intent rules, a synonym table, numeric comparison, extractive answers) and
// the LLM answerer (llm.go, wired in app), which reuses Parse for intent and filters and
// falls back to Builtin when its answer fails the checks.
//
// The package is an engine: it reads the shop through the Catalog interface,
// which app implements over the store, search and recommend.
package assistant
