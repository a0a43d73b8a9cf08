package importer

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

func TestCSVRows(t *testing.T) {
	in := "\ufeffid , title\n" + // a byte-order mark and padded names
		"p1,One\n" +
		"p2\n" + // too few fields
		`p3,"Three, with a comma"` + "\n" +
		`p4,"unterminated` + "\n"
	var got []string
	err := CSVRows(strings.NewReader(in), func(line int, row map[string]string, err error) error {
		if err != nil {
			if row != nil {
				t.Errorf("line %d: a row with the error %v", line, err)
			}
			got = append(got, fmt.Sprintf("%d: error %v", line, err))
			return nil
		}
		got = append(got, fmt.Sprintf("%d: %s=%s", line, row["id"], row["title"]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2: p1=One",
		"3: error 1 fields, the header has 2",
		"4: p3=Three, with a comma",
		`5: error extraneous or missing " in quoted-field`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCSVRowsStopsWhenTold(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := CSVRows(strings.NewReader("a\n1\n2\n3\n"), func(int, map[string]string, error) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d rows, want stop after 1", err, n)
	}
	if err := CSVRows(strings.NewReader(""), func(int, map[string]string, error) error {
		t.Error("a row from empty input")
		return nil
	}); err != nil {
		t.Errorf("empty input: %v", err)
	}
}

func TestReadErrorsNameTheLine(t *testing.T) {
	noop := func(int, map[string]string, error) error { return nil }
	err := CSVRows(strings.NewReader(`"id`+"\n"), noop)
	var re *ReadError
	if !errors.As(err, &re) || re.Line != 1 || !strings.HasPrefix(err.Error(), "line 1: header: ") {
		t.Errorf("bad header: %v, want a *ReadError on line 1", err)
	}
	long := `{"id":"p1"}` + "\n" + strings.Repeat("x", maxLine+1) + "\n"
	err = Records(strings.NewReader(long), JSONL, ParseProductCSV, func(int, shop.ProductInput, error) error { return nil })
	if !errors.As(err, &re) || re.Line != 2 {
		t.Errorf("over-long JSONL line: %v, want a *ReadError on line 2", err)
	}
}
