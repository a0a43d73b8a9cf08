package annbench

import (
	"runtime"
	"syscall"
	"time"
)

const rusageThread = 1 // RUSAGE_THREAD; not exported by package syscall

// threadClock returns a clock of the CPU time the calling OS thread has
// used, and an unlock function; the goroutine stays on that thread until
// unlock. On a shared machine wall time counts other processes' turns on the
// CPU as ours; thread CPU time doesn't.
func threadClock() (now func() time.Duration, unlock func(), ok bool) {
	runtime.LockOSThread()
	now = func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(rusageThread, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return now, runtime.UnlockOSThread, true
}
