package bus

// SetRenewHook runs fn before each lease renewal: a test blocks in it to
// stand for a process stopped (SIGSTOP, a long GC pause) while holding.
func SetRenewHook(fn func()) func() {
	renewHook = fn
	return func() { renewHook = nil }
}
