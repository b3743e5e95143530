// The Go twins of benches/runtime.rs. Each Benchmark* here has a criterion
// benchmark of the same name there (without the "Benchmark" prefix).
//
// BenchmarkPingPongHog is copied from Go's src/runtime/proc_test.go, and
// benchmark, BenchmarkStartStop1000 and BenchmarkReset (its impl=func half)
// from src/time/sleep_test.go (go1.27). Those parts are Copyright 2011
// (proc_test.go) and 2009 (sleep_test.go) The Go Authors, used under the
// BSD-style license in Go's LICENSE file. CreateGoroutinesJoin, PingPong and Gosched have no exact
// counterpart in Go's tree and are written here in the same style.

package gortbench

import (
	"runtime"
	"sync"
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
