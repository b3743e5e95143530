// Command http is the Go net/http server that `cargo xtask bench` measures
// gort's net/http against: http.Serve over a ServeMux with Go's defaults
// (keep-alive on, a Date header on every response, TCP_NODELAY on every
// connection), serving
//
//	GET /plaintext  200, Content-Type: text/plain, body "Hello, World!"
//	GET /json       200, Content-Type: application/json,
//	                body {"message":"Hello, World!"} (encoding/json, per request)
//
// and the mux's 404 and 405 replies otherwise.
//
//	go build -o go_http ./http && ./go_http [-addr ADDR | ADDR]
//
// ADDR defaults to 127.0.0.1:0. The first stdout line is `listening on
// ADDR`; then it serves until killed, printing nothing per request.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

// message is the /json body.
type message struct {
	Message string `json:"message"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address HOST:PORT")
	flag.Parse()
	if flag.NArg() > 1 {
		fmt.Fprintln(os.Stderr, "usage: go_http [-addr HOST:PORT | HOST:PORT]")
		os.Exit(1)
	}
	if flag.NArg() == 1 {
		*addr = flag.Arg(0)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Marshal, not an Encoder: Encode would add a newline.
		body, err := json.Marshal(message{Message: "Hello, World!"})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Write(body)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_http: %v\n", err)
		os.Exit(1)
	}
	// os.Stdout is unbuffered: the line is out when Printf returns.
	fmt.Printf("listening on %s\n", ln.Addr())
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintf(os.Stderr, "go_http: %v\n", err)
		os.Exit(1)
	}
}
