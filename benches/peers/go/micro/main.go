// Command micro is the Go twin of gort's examples/bench_micro.rs: the micro
// figures `cargo xtask bench` reports beside gort's and tokio's.
//
//	cd benches/peers/go && go build -o go_micro ./micro
//	./go_micro [-quick] [-parked N] [-burst N] [-procs P] [-only F,F..]
//
// -procs sets GOMAXPROCS (default 2), -parked the number of goroutines the
// memory figure parks (default 100000), -burst the number of goroutines
// each burst starts (default 100000; the xtask passes 20000 with its
// --quick), -quick shortens each timed batch from about 0.3 s to about
// 0.05 s. -only runs some of the figures, named spawn_join, park_ready,
// chan_rt, parked, fanout and burst (default: all, in that order). Go's
// flag package also takes the double-dash spellings (--quick). It prints
// these figures:
//
//   - spawn_join_ns: start a goroutine that does nothing but signal that it
//     ran, and wait for the signal, one after another (the shape of
//     BenchmarkCreateGoroutinesJoin in benches/go/runtime_test.go).
//   - park_ready_ns: one round trip of a token between two goroutines. Go
//     has no public gopark/goready, so the hand-off is the cheapest public
//     one, an unbuffered chan struct{} per direction (BenchmarkPingPong's
//     shape); gort and tokio use their raw park/ready primitives here.
//   - chan_rt_ns: one round trip over two unbuffered chan int: A sends on
//     the first, B receives and sends on the second, A receives.
//   - kib_per_parked: the growth of VmRSS (/proc/self/status) while N
//     goroutines wait to receive on one channel, divided by N; the baseline
//     is read after runtime.GC and debug.FreeOSMemory. The channel is then
//     closed and every goroutine waited for.
//   - fanout_ns: one job through a fan-out / fan-in, per job: a producer
//     goroutine sends M = 100000 ints on a chan int of capacity 1024 and
//     closes it; 64 worker goroutines range over it and send each job
//     doubled on a results chan int of capacity 1024; the main goroutine
//     receives the M results and checks their sum. The time runs from
//     making the channels to the workers' WaitGroup.
//   - burst_ns, burst_cold_ns: per goroutine, a burst of N goroutines all
//     live at once: each waits to receive on a gate channel, then stores
//     its index in its slot of a slice and calls Done on a WaitGroup; the
//     spawner starts all N, closes the gate, waits on the WaitGroup and
//     checks the sum of the slice (Go has no join handle returning a
//     value; a WaitGroup and a slice are the usual stand-in).
//     burst_cold_ns is the first burst of the process, burst_ns the median
//     of the three after it. The first burst is the cold one a fresh server
//     sees only when it runs first: run it alone (-only burst), as the
//     xtask does, since every other figure starts goroutines before it.
//
// The figures that ran make up the only stdout line, one JSON object:
//
//	{"runtime":"go","spawn_join_ns":F,"park_ready_ns":F,"chan_rt_ns":F,"parked":N,"kib_per_parked":F,"fanout_ns":F,"burst":N,"burst_cold_ns":F,"burst_ns":F}
//
// Each of the first three times is the median of three batches, after a
// warm-up that also sizes the batches; fanout_ns is the median of three
// rounds after one warm-up round. Bad flags exit with status 2 (the flag
// package's usage error).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// startLimit bounds the wait for the parked goroutines to start.
const startLimit = 30 * time.Second

// warmParked goroutines are parked and released once before the memory
// baseline, as in the gort and tokio twins.
const warmParked = 256

// parts are the figures -only picks from, in the order they run.
var parts = []string{"spawn_join", "park_ready", "chan_rt", "parked", "fanout", "burst"}

// The fan-out: jobs sent, worker goroutines, capacity of both channels.
const (
	fanoutJobs    = 100000
	fanoutWorkers = 64
	fanoutCap     = 1024
)

func main() {
	quick := flag.Bool("quick", false, "batches of about 0.05 s instead of 0.3 s")
	parked := flag.Int("parked", 100000, "goroutines parked for the memory figure")
	burstN := flag.Int("burst", 100000, "goroutines per burst")
	procs := flag.Int("procs", 2, "GOMAXPROCS")
	only := flag.String("only", strings.Join(parts, ","), "figures to run")
	flag.Parse()
	if flag.NArg() > 0 {
		usageError(fmt.Sprintf("unexpected argument %q", flag.Arg(0)))
	}
	if *parked <= 0 {
		usageError(fmt.Sprintf("invalid -parked %d (want a positive whole number)", *parked))
	}
	if *burstN <= 0 {
		usageError(fmt.Sprintf("invalid -burst %d (want a positive whole number)", *burstN))
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if !slices.Contains(parts, n) {
			usageError(fmt.Sprintf("invalid -only %q (figures are %s)", n, strings.Join(parts, ", ")))
		}
		want[n] = true
	}
	if *procs <= 0 {
		usageError(fmt.Sprintf("invalid -procs %d (want a positive whole number)", *procs))
	}
	runtime.GOMAXPROCS(*procs)
	batch := 300 * time.Millisecond
	if *quick {
		batch = 50 * time.Millisecond
	}

	line := `{"runtime":"go"`
	field := func(name, format string, v any) {
		line += fmt.Sprintf(`,"%s":`+format, name, v)
	}
	if want["spawn_join"] {
		field("spawn_join_ns", "%.1f", nsPerOp(batch, spawnJoin))
	}
	if want["park_ready"] {
		field("park_ready_ns", "%.1f", nsPerOp(batch, parkReady))
	}
	if want["chan_rt"] {
		field("chan_rt_ns", "%.1f", nsPerOp(batch, chanRoundTrip))
	}
	if want["parked"] {
		kib, err := kibPerParked(*parked)
		if err != nil {
			fmt.Fprintf(os.Stderr, "go_micro: %v\n", err)
			os.Exit(1)
		}
		field("parked", "%d", *parked)
		field("kib_per_parked", "%.3f", kib)
	}
	if want["fanout"] {
		fanout() // warm-up
		field("fanout_ns", "%.1f", medianOf3(fanout))
	}
	if want["burst"] {
		field("burst", "%d", *burstN)
		field("burst_cold_ns", "%.1f", burst(*burstN))
		field("burst_ns", "%.1f", medianOf3(func() float64 { return burst(*burstN) }))
	}
	fmt.Println(line + "}")
}

// medianOf3 is the median of three runs of run.
func medianOf3(run func() float64) float64 {
	runs := []float64{run(), run(), run()}
	sort.Float64s(runs)
	return runs[1]
}

// fanout sends fanoutJobs jobs through fanoutWorkers workers and their
// results back (see the package doc) and returns ns per job; it exits the
// program if the results do not add up.
func fanout() float64 {
	start := time.Now()
	jobs := make(chan int, fanoutCap)
	results := make(chan int, fanoutCap)
	var wg sync.WaitGroup
	wg.Add(fanoutWorkers)
	for range fanoutWorkers {
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- j * 2
			}
		}()
	}
	go func() {
		for j := range fanoutJobs {
			jobs <- j
		}
		close(jobs)
	}()
	sum := 0
	for range fanoutJobs {
		sum += <-results
	}
	wg.Wait()
	elapsed := time.Since(start)
	if want := fanoutJobs * (fanoutJobs - 1); sum != want {
		fmt.Fprintf(os.Stderr, "go_micro: fan-out: results sum to %d, want %d\n", sum, want)
		os.Exit(1)
	}
	return float64(elapsed.Nanoseconds()) / fanoutJobs
}

// burst starts n goroutines that all wait on one gate, opens it, waits for
// them all (see the package doc) and returns ns per goroutine; it exits
// the program if what they returned does not add up.
func burst(n int) float64 {
	start := time.Now()
	gate := make(chan struct{})
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			<-gate
			out[i] = i
			wg.Done()
		}()
	}
	close(gate)
	wg.Wait()
	sum := 0
	for _, v := range out {
		sum += v
	}
	elapsed := time.Since(start)
	if want := n * (n - 1) / 2; sum != want {
		fmt.Fprintf(os.Stderr, "go_micro: burst: goroutines returned %d in all, want %d\n", sum, want)
		os.Exit(1)
	}
	return float64(elapsed.Nanoseconds()) / float64(n)
}

// usageError reports a bad command line and exits with status 2.
func usageError(msg string) {
	fmt.Fprintf(os.Stderr, "go_micro: %s\n", msg)
	flag.Usage()
	os.Exit(2)
}

// nsPerOp is the median ns per op of three runs of run(iters), which does
// iters ops and returns the time they took. The warm-up doubles iters from
// 64 until one run takes at least an eighth of batch; that run's rate sizes
// the timed runs to about batch each.
func nsPerOp(batch time.Duration, run func(iters int) time.Duration) float64 {
	iters := 64
	took := run(iters)
	for took < batch/8 && iters < 1<<40 {
		iters *= 2
		took = run(iters)
	}
	perOp := float64(max(took.Nanoseconds(), 1)) / float64(iters)
	n := max(int(float64(batch.Nanoseconds())/perOp), 1)
	runs := make([]float64, 3)
	for i := range runs {
		runs[i] = float64(run(n).Nanoseconds()) / float64(n)
	}
	sort.Float64s(runs)
	return runs[1]
}

// spawnJoin starts iters goroutines one after another, each signalling
// that it ran, and waits for each signal before starting the next.
func spawnJoin(iters int) time.Duration {
	done := make(chan struct{})
	start := time.Now()
	for range iters {
		go func() { done <- struct{}{} }()
		<-done
	}
	return time.Since(start)
}

// parkReady passes a token back and forth iters times between this
// goroutine and a ponger, over one unbuffered chan struct{} per direction.
func parkReady(iters int) time.Duration {
	ping, pong := make(chan struct{}), make(chan struct{})
	go func() {
		for range iters {
			pong <- <-ping
		}
	}()
	start := time.Now()
	for range iters {
		ping <- struct{}{}
		<-pong
	}
	return time.Since(start)
}

// chanRoundTrip sends iters values to an echo goroutine on one unbuffered
// chan int and receives each back on another.
func chanRoundTrip(iters int) time.Duration {
	c1, c2 := make(chan int), make(chan int)
	go func() {
		for range iters {
			c2 <- <-c1
		}
	}()
	start := time.Now()
	for i := range iters {
		c1 <- i
		<-c2
	}
	return time.Since(start)
}

// kibPerParked parks n goroutines in a receive on one channel and returns
// the growth of VmRSS per goroutine, in KiB.
func kibPerParked(n int) (float64, error) {
	if _, err := parkRound(min(warmParked, n), func() (int64, error) { return 0, nil }); err != nil {
		return 0, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	before, err := vmRSSKiB()
	if err != nil {
		return 0, err
	}
	after, err := parkRound(n, vmRSSKiB)
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(n), nil
}

// parkRound starts n goroutines that each count themselves and wait to
// receive on one channel, waits until all have counted themselves, calls
// probe, then closes the channel and waits for them all to return.
func parkRound(n int, probe func() (int64, error)) (int64, error) {
	release := make(chan struct{})
	var started atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	for range n {
		go func() {
			defer wg.Done()
			started.Add(1)
			<-release
		}()
	}
	var v int64
	err := waitStarted(&started, int64(n))
	if err == nil {
		v, err = probe()
	}
	close(release)
	wg.Wait()
	return v, err
}

// waitStarted waits until started reaches n (at most startLimit), then a
// little longer, so that the last goroutines to count themselves have
// reached their receive.
func waitStarted(started *atomic.Int64, n int64) error {
	deadline := time.Now().Add(startLimit)
	for started.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d goroutines started within %v", started.Load(), n, startLimit)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	return nil
}

// vmRSSKiB is this process's resident set (VmRSS in /proc/self/status), in KiB.
func vmRSSKiB() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		v, ok := strings.CutSuffix(strings.TrimSpace(rest), "kB")
		if !ok {
			break
		}
		return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmRSS line in /proc/self/status")
}
