package annbench

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// TEXMEX .fvecs/.ivecs (the SIFT1M corpus format): each vector is a
// little-endian int32 dimension followed by that many float32 or int32.

// readVecs reads an fvecs or ivecs file into one flat slice of raw 32-bit
// words and returns it with the dimension; every vector must share it.
func readVecs(path string) (words []uint32, dim int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [4]byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF {
			break
		} else if err != nil {
			return nil, 0, fmt.Errorf("%s: vector %d: %w", path, n, err)
		}
		d := int(int32(binary.LittleEndian.Uint32(hdr[:])))
		if n == 0 {
			if d <= 0 || d > 1<<16 {
				return nil, 0, fmt.Errorf("%s: bad dimension %d", path, d)
			}
			dim = d
		} else if d != dim {
			return nil, 0, fmt.Errorf("%s: vector %d has dimension %d, the first has %d", path, n, d, dim)
		}
		buf := make([]byte, 4*d)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, 0, fmt.Errorf("%s: vector %d: %w", path, n, err)
		}
		for i := 0; i < d; i++ {
			words = append(words, binary.LittleEndian.Uint32(buf[4*i:]))
		}
	}
	if dim == 0 {
		return nil, 0, fmt.Errorf("%s: no vectors", path)
	}
	return words, dim, nil
}

// readFvecs returns the vectors of an .fvecs file, flat, and their dimension.
func readFvecs(path string) ([]float32, int, error) {
	w, d, err := readVecs(path)
	if err != nil {
		return nil, 0, err
	}
	out := make([]float32, len(w))
	for i, x := range w {
		out[i] = math.Float32frombits(x)
		if f := float64(out[i]); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, 0, fmt.Errorf("%s: vector %d holds %v", path, i/d, out[i])
		}
	}
	return out, d, nil
}

// readIvecs returns the rows of an .ivecs file, flat, and the row length.
func readIvecs(path string) ([]int32, int, error) {
	w, d, err := readVecs(path)
	if err != nil {
		return nil, 0, err
	}
	out := make([]int32, len(w))
	for i, x := range w {
		out[i] = int32(x)
	}
	return out, d, nil
}

// writeVecs writes n rows of dim words each.
func writeVecs(path string, rows int, dim int, word func(row, j int) uint32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var b [4]byte
	for i := range rows {
		binary.LittleEndian.PutUint32(b[:], uint32(dim))
		w.Write(b[:])
		for j := range dim {
			binary.LittleEndian.PutUint32(b[:], word(i, j))
			w.Write(b[:])
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeFvecs(path string, v []float32, dim int) error {
	return writeVecs(path, len(v)/dim, dim, func(r, j int) uint32 { return math.Float32bits(v[r*dim+j]) })
}

func writeIvecs(path string, v []int32, dim int) error {
	return writeVecs(path, len(v)/dim, dim, func(r, j int) uint32 { return uint32(v[r*dim+j]) })
}
