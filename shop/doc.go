// Package shop is the domain: products, users and interactions, money as a
// Decimal, IDs, enums, and the validation that turns a client's input into
// a value the rest of shopmuse can trust (ProductInput.Normalize and
// friends, reporting UserErrors). It does no I/O and imports nothing of
// ours, so every other package can depend on it.
package shop
