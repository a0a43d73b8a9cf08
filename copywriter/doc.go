// Package copywriter writes marketing copy for a product and a person: a
// built-in template writer that needs no network, an LLM writer behind
// langchaingo (OpenAI-compatible or Ollama), and the checks every variant
// must pass before anyone sees it. Who the copy is for is a persona.Persona
// (package persona); which of the variants a shopper sees is chosen outside,
// by engage with package bandit.
//
// The copy path: Writer.Generate validates the request, looks in the Cache,
// asks the LLM (when configured) for JSON variants, checks each one
// (faithfulness, compliance, length, language — see CheckVariant), sends the
// failures back once, drops what still fails and tops up with built-in
// variants, which pass by construction: the built-in writer only fills
// templates from a "sheet" of facts that were themselves checked, and checks
// every candidate before returning it.
//
// Decisions worth knowing:
//   - Faithfulness compares quantities, not strings: 5000万像素 = 50MP,
//     0.5L = 500ml, 30 hours = 30小时. A price may be the list price, a
//     figure in the promotion, or the list price minus such a figure (到手价).
//     Bare numbers up to 10 are counts, not claims. Tokens mixing letters and
//     digits (P60, WH-1000XM4) are model names and must be in the facts;
//     known brands (data in lexicon.go) other than the product's fail.
//   - Barred terms live in data/banned_terms.json with category, legal source
//     and lawful exceptions: ordinal 第一 (第一次, 第一代…) and temporal 最
//     (最近, 最后, 最初, 最终, 最早) are allowed; 最新款 is not (newness cannot be
//     proved from the facts); 100% is allowed only as fibre content (100%棉).
//     Generic green claims pass only when the product's own facts state them.
//     English terms match on word boundaries ("perfect for" is allowed).
//   - Length counts runes; the headline (EMAIL subject) is bounded by the
//     title budget.
//   - Language: Chinese copy needs ≥60% Han among words (a Han character and a
//     Latin word count one each; units glued to numbers do not count);
//     English copy ≤5%.
package copywriter
