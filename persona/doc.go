// Package persona models who marketing copy is written for. A Persona holds
// what a person states (age, gender, interests, a free-text description read
// by ParsePersona) and what their behaviour shows (BehaviourFrom summarises
// interactions, FromUser joins that with the declared profile). Its Segment
// is the coarse, label-safe key under which copy-variant statistics pool.
// Merge layers what a caller states (an Input: description, age, gender,
// interests) over a base persona, validating it first.
//
// The interest vocabulary (Interests, NormalizeInterest) gives personas,
// segments, campaign targeting and copy one set of keys.
//
// The package is pure: no store and no I/O. copywriter and engage import it;
// it imports neither.
package persona
