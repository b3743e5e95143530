// Go twin of crates/netpoll/benches/netpoll.rs: BenchmarkPipePingPong hands
// one byte back and forth between two goroutines over two os.Pipe pairs,
// whose reads park in Go's netpoller; one op is one round trip.

package gortnetpollbench

import (
	"os"
	"testing"
)

func BenchmarkPipePingPong(b *testing.B) {
	pingR, pingW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	pongR, pongW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, f := range []*os.File{pingR, pingW, pongR, pongW} {
			f.Close()
		}
	}()
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		for i := 0; i < b.N; i++ {
			if _, err := pingR.Read(buf); err != nil {
				panic(err)
			}
			if _, err := pongW.Write(buf); err != nil {
				panic(err)
			}
		}
		close(done)
	}()
	buf := []byte{'x'}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := pingW.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := pongR.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}
