// Package askeval is the shopping assistant's evaluation (`shopmuse eval
// ask`): a labelled question set written from the demo shop's data and a
// list of question patterns, and the run that scores an answerer on it.
//
// The set is generated, never hand-labelled: each question comes from a
// pattern ("{attr}是多少？", "有没有{price}的{noun}？") filled from one
// product's facts (or a category's, or a pair's), and its label — the kind
// of answer, the fields an answer must cite, the yes/no verdict, the winner
// of a comparison, the products a need admits — is computed from the same
// data. A pattern's hash puts it in the held-out third or the dev part; the
// report keeps the two apart, and only dev failures are ever printed.
package askeval
