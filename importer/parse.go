// Package importer loads products, users and interactions from JSONL or CSV
// files into the store: it validates every line first, reports the bad ones
// with line numbers, writes nothing if any is bad, and then writes in batches.
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/shop"
)

// Format is a file format, chosen by extension.
type Format int

const (
	JSONL Format = iota
	CSV
)

// FormatOf picks the format from a file name: .jsonl/.ndjson/.json or .csv.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return JSONL, nil
	case ".csv":
		return CSV, nil
	}
	return 0, fmt.Errorf("%s: unknown extension (want .jsonl or .csv)", path)
}

// maxLine bounds one JSONL line (a product with a long description and many
// attributes stays far below it).
const maxLine = 1 << 20

// ReadError is a failure that ends the reading of a file at a line: a CSV
// header that cannot be read, a JSONL line over the size limit. A bad
// record does not end the reading; it goes to the caller's callback.
type ReadError struct {
	Line int // 1-based
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }

// Records calls fn for each record of r with its 1-based line number. A line
// that cannot be parsed is passed with a non-nil parse error; fn decides
// whether to go on. Blank JSONL lines are skipped. `shopmuse import` and
// `eval` read files through it, so a file that evaluates also imports.
func Records[T any](r io.Reader, format Format, parseCSV func(row map[string]string) (T, error), fn func(line int, v T, err error) error) error {
	if format == CSV {
		return CSVRows(r, func(line int, row map[string]string, err error) error {
			var v T
			if err == nil {
				v, err = parseCSV(row)
			}
			return fn(line, v, err)
		})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		v, err := ParseJSONLine[T](b)
		if err := fn(line, v, err); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &ReadError{line + 1, err}
	}
	return nil
}

// CSVRows reads CSV whose first line names the columns, and calls fn for
// each later row keyed by those names (trimmed, a byte-order mark dropped)
// with its 1-based line number. A row that cannot be read (bad quoting, a
// different number of fields than the header) is passed as a nil row with
// the error; fn decides whether to go on. Empty input has no rows. A header
// that cannot be read is a *ReadError; an I/O error ends the reading as it
// is.
func CSVRows(r io.Reader, fn func(line int, row map[string]string, err error) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return &ReadError{1, fmt.Errorf("header: %w", err)}
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var row map[string]string
		line := 0
		if err == nil {
			// FieldPos is only defined after a successful Read.
			line, _ = cr.FieldPos(0)
			if len(fields) != len(header) {
				err = fmt.Errorf("%d fields, the header has %d", len(fields), len(header))
			} else {
				row = make(map[string]string, len(header))
				for i, h := range header {
					row[h] = fields[i]
				}
			}
		} else {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return err // an I/O error, not a bad line: it would repeat forever
			}
			line, err = pe.Line, pe.Err
		}
		if err := fn(line, row, err); err != nil {
			return err
		}
	}
}

// ParseJSONLine decodes one JSONL record strictly: unknown fields are errors,
// so a misspelt column is reported instead of silently dropped.
func ParseJSONLine[T any](b []byte) (T, error) {
	var v T
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return v, fmt.Errorf("invalid JSON: more than one value on the line")
	}
	return v, nil
}

// CSV columns. Lists are separated by '|'; attributes are name=value pairs
// separated by '|' (电池=4400mAh|屏幕=6.6英寸).

// ParseProductCSV builds a product input from a CSV row keyed by header.
func ParseProductCSV(row map[string]string) (shop.ProductInput, error) {
	in := shop.ProductInput{ID: row["id"], Title: row["title"], Category: row["category"],
		Description: opt(row["description"]), Brand: opt(row["brand"]), Promotion: opt(row["promotion"]),
		ImageURL: opt(row["imageURL"]), Tags: list(row["tags"])}
	for _, pair := range list(row["attributes"]) {
		name, value, ok := strings.Cut(pair, "=")
		if !ok {
			return in, fmt.Errorf("attributes: %q is not name=value", pair)
		}
		in.Attributes = append(in.Attributes, shop.AttributeInput{Name: name, Value: value})
	}
	if s := strings.TrimSpace(row["price"]); s != "" {
		d, err := shop.ParseDecimal(s)
		if err != nil {
			return in, fmt.Errorf("price: %w", err)
		}
		in.Price = &shop.MoneyInput{Amount: d, CurrencyCode: opt(row["currencyCode"])}
	}
	if s := strings.TrimSpace(row["available"]); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return in, fmt.Errorf("available: %q is not true or false", s)
		}
		in.Available = &b
	}
	if s := strings.TrimSpace(row["language"]); s != "" {
		l := shop.Language(strings.ToUpper(s))
		in.Language = &l
	}
	return in, nil
}

// ParseUserCSV builds a user input from a CSV row keyed by header.
func ParseUserCSV(row map[string]string) (shop.UserInput, error) {
	in := shop.UserInput{ID: row["id"], Name: opt(row["name"]), Interests: list(row["interests"])}
	if s := strings.TrimSpace(row["age"]); s != "" {
		age, err := strconv.Atoi(s)
		if err != nil {
			return in, fmt.Errorf("age: %q is not a whole number", s)
		}
		in.Age = &age
	}
	if s := strings.TrimSpace(row["gender"]); s != "" {
		g := shop.Gender(strings.ToUpper(s))
		in.Gender = &g
	}
	return in, nil
}

// ParseInteractionCSV builds an interaction input from a CSV row keyed by header.
func ParseInteractionCSV(row map[string]string) (shop.InteractionInput, error) {
	in := shop.InteractionInput{UserID: row["userID"], ProductID: row["productID"],
		Kind: shop.InteractionKind(strings.ToUpper(strings.TrimSpace(row["kind"]))), CopyVariantID: opt(row["copyVariantID"])}
	if s := strings.TrimSpace(row["value"]); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return in, fmt.Errorf("value: %q is not a number", s)
		}
		in.Value = &v
	}
	if s := strings.TrimSpace(row["occurredAt"]); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return in, fmt.Errorf("occurredAt: %q is not an RFC 3339 time", s)
		}
		in.OccurredAt = &t
	}
	return in, nil
}

// ParseQACSV builds a Q&A entry from a CSV row keyed by header
// (id,productID,question,answer).
func ParseQACSV(row map[string]string) (assistant.QA, error) {
	for _, col := range []string{"id", "productID", "question", "answer"} {
		if _, ok := row[col]; !ok {
			return assistant.QA{}, fmt.Errorf("the header has no %s column", col)
		}
	}
	return assistant.QA{ID: strings.TrimSpace(row["id"]), ProductID: strings.TrimSpace(row["productID"]),
		Question: row["question"], Answer: row["answer"]}, nil
}

func opt(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

func list(s string) []string {
	var out []string
	for _, part := range strings.Split(s, "|") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
