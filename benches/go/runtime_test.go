// The Go twins of benches/runtime.rs. Each Benchmark* here has a criterion
// benchmark of the same name there (without the "Benchmark" prefix).
//
// BenchmarkPingPongHog is copied from Go's src/runtime/proc_test.go, and
// benchmark, BenchmarkStartStop1000 and BenchmarkReset (its impl=func half)
// from src/time/sleep_test.go (go1.27). Those parts are Copyright 2011
// (proc_test.go) and 2009 (sleep_test.go) The Go Authors, used under the
// BSD-style license in Go's LICENSE file. CreateGoroutinesJoin, PingPong and Gosched have no exact
// counterpart in Go's tree and are written here in the same style.
// BenchmarkMutexUncontended, BenchmarkMutex, BenchmarkMutexWork and
// BenchmarkWaitGroupUncontended are written here in the shape of the
// benchmarks of those names in src/sync/mutex_test.go and waitgroup_test.go.
// BenchmarkChanSync, BenchmarkChanProdCons10 and BenchmarkSelectUncontended
// are written here in the shape of those in src/runtime/chan_test.go.

package gortbench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreateGoroutinesJoin starts one goroutine per op and waits for it
// to finish, as gort's spawn + JoinHandle::join.
func BenchmarkCreateGoroutinesJoin(b *testing.B) {
	done := make(chan struct{})
	for range b.N {
		go func() { done <- struct{}{} }()
		<-done
	}
}

// BenchmarkPingPong passes a token between two goroutines over two unbuffered
// channels; one op is one round trip (gort uses a ParkSlot per direction).
func BenchmarkPingPong(b *testing.B) {
	ping, pong := make(chan bool), make(chan bool)
	n := b.N
	go func() {
		for range n {
			pong <- <-ping
		}
	}()
	b.ResetTimer()
	for range n {
		ping <- true
		<-pong
	}
}

// BenchmarkPingPongHog is Go's, unchanged: a ping-pong pair beside a CPU hog
// at GOMAXPROCS=1. Go preempts the hog; gort's hog must yield on every turn.
func BenchmarkPingPongHog(b *testing.B) {
	if b.N == 0 {
		return
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	// Create a CPU hog
	stop, done := make(chan bool), make(chan bool)
	go func() {
		for {
			select {
			case <-stop:
				done <- true
				return
			default:
			}
		}
	}()

	// Ping-pong b.N times
	ping, pong := make(chan bool), make(chan bool)
	go func() {
		for j := 0; j < b.N; j++ {
			pong <- <-ping
		}
		close(stop)
		done <- true
	}()
	go func() {
		for i := 0; i < b.N; i++ {
			ping <- <-pong
		}
		done <- true
	}()
	b.ResetTimer()
	ping <- true // Start ping-pong
	<-stop
	b.StopTimer()
	<-ping // Let last ponger exit
	<-done // Make sure goroutines exit
	<-done
	<-done
}

// BenchmarkGosched yields the P once per op (gort::yield_now).
func BenchmarkGosched(b *testing.B) {
	for range b.N {
		runtime.Gosched()
	}
}

// benchmark is Go's time-benchmark harness: garbage timers on every P, then
// bench under RunParallel.
func benchmark(b *testing.B, bench func(*testing.PB)) {
	// Create equal number of garbage timers on each P before starting
	// the benchmark.
	var wg sync.WaitGroup
	garbageAll := make([][]*time.Timer, runtime.GOMAXPROCS(0))
	for i := range garbageAll {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			garbage := make([]*time.Timer, 1<<15)
			for j := range garbage {
				garbage[j] = time.AfterFunc(time.Hour, nil)
			}
			garbageAll[i] = garbage
		}(i)
	}
	wg.Wait()

	b.ResetTimer()
	b.RunParallel(bench)
	b.StopTimer()

	for _, garbage := range garbageAll {
		for _, t := range garbage {
			t.Stop()
		}
	}
}

// BenchmarkStartStop1000 is Go's: per op, 1000 AfterFunc timers armed and
// stopped.
func BenchmarkStartStop1000(b *testing.B) {
	benchmark(b, func(pb *testing.PB) {
		for pb.Next() {
			const N = 1000
			timers := make([]*time.Timer, N)
			for i := range timers {
				timers[i] = time.AfterFunc(time.Hour, nil)
			}

			for i := range timers {
				timers[i].Stop()
			}
		}
	})
}

// BenchmarkReset is the impl=func half of Go's: one AfterFunc timer per
// goroutine, reset per op. (The impl=chan half needs channel timers, which
// gort does not have; Go's newTimerFunc is an AfterFunc timer that also sets
// t.C, which Reset does not touch.)
func BenchmarkReset(b *testing.B) {
	b.Run("impl=func", func(b *testing.B) {
		benchmark(b, func(pb *testing.PB) {
			t := time.AfterFunc(time.Hour, func() {})
			for pb.Next() {
				t.Reset(time.Hour)
			}
			t.Stop()
		})
	})
}

// paddedMutex gives each goroutine's mutex cache lines of its own.
type paddedMutex struct {
	mu  sync.Mutex
	pad [128]uint8
}

// BenchmarkMutexUncontended: each RunParallel goroutine locks and unlocks a
// mutex nobody else touches.
func BenchmarkMutexUncontended(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var m paddedMutex
		for pb.Next() {
			m.mu.Lock()
			m.mu.Unlock()
		}
	})
}

// mutexShared: the RunParallel goroutines take turns on one mutex; with
// work, each then does 100 rounds of local arithmetic outside it.
func mutexShared(b *testing.B, work bool) {
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		acc := 0
		for pb.Next() {
			mu.Lock()
			mu.Unlock()
			if work {
				for range 100 {
					acc *= 2
					acc /= 2
				}
			}
		}
		_ = acc
	})
}

// BenchmarkMutex: one mutex shared by every RunParallel goroutine.
func BenchmarkMutex(b *testing.B) { mutexShared(b, false) }

// BenchmarkMutexWork: as BenchmarkMutex, with a little work between turns.
func BenchmarkMutexWork(b *testing.B) { mutexShared(b, true) }

// paddedWaitGroup gives each goroutine's wait group cache lines of its own.
type paddedWaitGroup struct {
	wg  sync.WaitGroup
	pad [128]uint8
}

// BenchmarkWaitGroupUncontended: each RunParallel goroutine runs Add(1),
// Done, Wait on a wait group of its own.
func BenchmarkWaitGroupUncontended(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var w paddedWaitGroup
		for pb.Next() {
			w.wg.Add(1)
			w.wg.Done()
			w.wg.Wait()
		}
	})
}

// callsPerSched is how many ops a channel-benchmark goroutine does per
// batch it claims.
const callsPerSched = 1000

// BenchmarkChanSync: two goroutines meet over one unbuffered channel in
// batches of 1000 turns; by the parity of the batch it claims, a goroutine
// receives then sends, or sends then receives. One op is one receive and
// one send by one of them.
func BenchmarkChanSync(b *testing.B) {
	left := int64(b.N / callsPerSched / 2 * 2)
	ch := make(chan int)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&left, -1)
				if i < 0 {
					return
				}
				for range callsPerSched {
					if i%2 == 0 {
						<-ch
						ch <- 0
					} else {
						ch <- 0
						<-ch
					}
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkChanProdCons10: a producer and a consumer goroutine per P share
// a channel of capacity 10; producers send batches of 1000 values while
// batches are left, then a 0 that stops one consumer.
func BenchmarkChanProdCons10(b *testing.B) {
	left := int64(b.N / callsPerSched)
	ch := make(chan int, 10)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&left, -1) >= 0 {
				for range callsPerSched {
					ch <- 1
				}
			}
			ch <- 0
		}()
		go func() {
			defer wg.Done()
			for <-ch != 0 {
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSelectUncontended: each RunParallel goroutine owns two channels
// of capacity 1 and passes one token between them with a select.
func BenchmarkSelectUncontended(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		first, second := make(chan int, 1), make(chan int, 1)
		first <- 0
		for pb.Next() {
			select {
			case <-first:
				second <- 0
			case <-second:
				first <- 0
			}
		}
	})
}
