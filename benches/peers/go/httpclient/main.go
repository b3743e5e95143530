// Command httpclient is the Go net/http client that `cargo xtask bench
// --suite client` measures gort's http::Client against
// (examples/bench_http_client.rs): N goroutines, each GETting one URL over
// and over on keep-alive connections for a fixed time, through one
// http.Client over a clone of http.DefaultTransport with
// MaxIdleConnsPerHost = N, so every goroutine keeps its connection. Each
// response body is read to its end and closed, which hands the connection
// back.
//
//	go build -o go_httpclient ./httpclient
//	./go_httpclient -url URL [-conns N] [-duration SECS] [-warmup SECS]
//
// Defaults: 64 goroutines, 1 s of warm-up (not counted), 3 s measured;
// GOMAXPROCS is Go's default (the CPU count). At the end it prints one
// JSON line:
//
//	{"client":"go","conns":64,"requests":N,"seconds":S,"errors":E,"req_per_s":R,"cpu_us":C,"cpu_us_per_req":X}
//
// requests are the 200 responses read whole within the measured window,
// errors the failed requests and other statuses in it (the first error is
// also printed on stderr), cpu_us this process's user + system CPU time
// over the window, read from /proc/self/stat at its two ends (in clock
// ticks of 1/100 s, Linux's USER_HZ).
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// userHZ is the unit of the times in /proc/PID/stat (sysconf(_SC_CLK_TCK),
// 100 on every Linux ABI).
const userHZ = 100

func main() {
	url := flag.String("url", "", "the URL to GET")
	conns := flag.Int("conns", 64, "goroutines (and connections)")
	duration := flag.Float64("duration", 3, "measured seconds")
	warmup := flag.Float64("warmup", 1, "warm-up seconds, not counted")
	flag.Parse()
	if *url == "" || flag.NArg() > 0 || *conns <= 0 || *duration <= 0 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "usage: go_httpclient -url URL [-conns N] [-duration SECS] [-warmup SECS]")
		os.Exit(2)
	}
	if _, err := http.NewRequest("GET", *url, nil); err != nil {
		fmt.Fprintf(os.Stderr, "go_httpclient: %v\n", err)
		os.Exit(1)
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = *conns
	client := &http.Client{Transport: tr}

	var requests, errors atomic.Int64
	var reported, stop atomic.Bool
	var wg sync.WaitGroup
	for range *conns {
		wg.Go(func() {
			for !stop.Load() {
				err := get(client, *url)
				if err == nil {
					requests.Add(1)
					continue
				}
				errors.Add(1)
				if !reported.Swap(true) {
					fmt.Fprintf(os.Stderr, "go_httpclient: first error: %v\n", err)
				}
			}
		})
	}

	time.Sleep(seconds(*warmup))
	n0, e0, cpu0, t0 := requests.Load(), errors.Load(), cpuTicks(), time.Now()
	time.Sleep(seconds(*duration))
	n1, e1, cpu1, t1 := requests.Load(), errors.Load(), cpuTicks(), time.Now()
	stop.Store(true)
	wg.Wait()

	n := n1 - n0
	secs := t1.Sub(t0).Seconds()
	cpuUs, perReq := "null", "null"
	if cpu0 >= 0 && cpu1 >= 0 {
		us := float64(cpu1-cpu0) * 1e6 / userHZ
		cpuUs = fmt.Sprintf("%.0f", us)
		if n > 0 {
			perReq = fmt.Sprintf("%.3f", us/float64(n))
		}
	}
	fmt.Printf("{\"client\":\"go\",\"conns\":%d,\"requests\":%d,\"seconds\":%.3f,"+
		"\"errors\":%d,\"req_per_s\":%.1f,\"cpu_us\":%s,\"cpu_us_per_req\":%s}\n",
		*conns, n, secs, e1-e0, float64(n)/secs, cpuUs, perReq)
}

// get GETs url and reads the body to its end; an error for any status but
// 200.
func get(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}

// cpuTicks is utime + stime of this process (every thread) in clock ticks,
// or -1 if /proc/self/stat cannot be read.
func cpuTicks() int64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	// The command name (field 2) is in parentheses and may hold spaces;
	// after the last ')' come field 3 (state) on; utime and stime are 14, 15.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + st
}
