// Go twins of crates/poll/benches/fd_mutex.rs.
//
// Go's fdMutex is internal to the standard library and gort copies no Go
// code, so the twin reaches it the only public way: RawConn.Control on an
// *os.File brackets the callback with fd.incref / fd.decref, the same state
// word operations as gort's IncrefDecref benchmark (plus an interface call
// and a closure). There is no public path to rwlock alone without a system
// call, so RWLockUncontended has no Go twin.

package gortpollbench

import (
	"os"
	"testing"
)

func BenchmarkIncrefDecref(b *testing.B) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		b.Fatal(err)
	}
	noop := func(uintptr) {}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := rc.Control(noop); err != nil {
			b.Fatal(err)
		}
	}
}
