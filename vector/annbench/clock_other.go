//go:build !linux

package annbench

import "time"

func threadClock() (now func() time.Duration, unlock func(), ok bool) {
	return nil, nil, false
}
