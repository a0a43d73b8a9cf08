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
//     English copy ≤5%. Invalid UTF-8 fails it.
//   - The checks read normalised text (normalize.go): NFKC, no zero-width or
//     format characters, traditional forms of the banned terms folded to
//     simplified (a small table; no well-kept Go library folds without
//     OpenCC's dictionaries), "100 %" closed up, and numbers in every form —
//     full-width digits, Chinese numerals (九十九元, 两千, 一万五, 百分之九十).
//     A lone numeral up to ten counts only before a money or percent sign,
//     so idioms (一年四季, 十全十美) are not claims.
//   - Only the product's facts substantiate claims. The persona contributes
//     one fact, the reader's age, and only as an age ("25岁的你"); "预算99元，
//     只买环保" justifies neither ¥99 nor 环保.
//   - What features mean to a shopper is data (data/benefits.json, with
//     sources): per top category, per attribute value, a phrase that states
//     the value and its benefit, the persona interests the category supports
//     and where it is used. Chinese DETAIL and EMAIL copy is planned from it:
//     one sentence per selling point, connectives where two sentences would
//     open alike, the offer, an ending for the channel. Copy addresses a
//     reader by an interest only when the product's category or its own tags
//     support it, and never states the reader's age or gender.
//   - The rubric (rubric.go) reads copy as a marketer would: persona angles
//     the product does not support, echoes, filler, repeated openings,
//     benefit density. The built-in writer drops candidates it faults (unless
//     nothing else is left), the LLM writer sends them back for repair, eval
//     copy reports it, and a hand-labelled set measures its precision.
//   - Streams carry only checked copy, variant by variant.
//   - Every cut is rune-safe and falls on a word or punctuation boundary
//     (words.Clip).
package copywriter
