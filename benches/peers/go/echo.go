// Command echo is the Go echo server that `cargo xtask bench` measures
// gort against: a goroutine per connection, a 4 KiB buffer, Read then
// Write of what was read until end of file or an error. Go's net package
// already turns TCP_NODELAY on for every TCP connection.
//
//	go build -o go_echo . && ./go_echo [-addr ADDR | ADDR]
//
// ADDR defaults to 127.0.0.1:0. The first stdout line is `listening on
// ADDR`; then it serves until killed, printing nothing per connection.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address HOST:PORT")
	flag.Parse()
	if flag.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: go_echo [-addr HOST:PORT | HOST:PORT]")
		os.Exit(1)
	}
	if flag.NArg() == 1 {
		*addr = flag.Arg(0)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_echo: %v\n", err)
		os.Exit(1)
	}
	// os.Stdout is unbuffered: the line is out when Printf returns.
	fmt.Printf("listening on %s\n", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors, say: pause, then keep serving the others.
			fmt.Fprintf(os.Stderr, "go_echo: accept: %v\n", err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		go echo(conn)
	}
}

// echo writes back whatever arrives on conn until end of file or an error.
func echo(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
