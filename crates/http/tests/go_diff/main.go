// The Go side of crates/http/tests/go_diff.rs: a net/http server whose
// routes and handlers the Rust test rebuilds on gort-http. Every handler
// replies with a description of the request it saw, so that comparing the
// two servers' replies compares what their handlers saw.
//
// It listens on 127.0.0.1:0, prints "listening on ADDR" first, and exits
// when its stdin closes.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
)

// esc spells s with every byte outside '!'..'~', and '%' and '\\', as %XX.
func esc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c < 0x7f && c != '%' && c != '\\' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// describe writes what the handler saw; names are the pattern's wildcards.
func describe(w http.ResponseWriter, r *http.Request, names []string, body string) {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + "=" + v + "\n") }
	line("pattern", esc(r.Pattern))
	line("method", esc(r.Method))
	line("path", esc(r.URL.Path))
	line("rawpath", esc(r.URL.RawPath))
	line("query", esc(r.URL.RawQuery))
	line("uri", esc(r.RequestURI))
	line("host", esc(r.Host))
	line("urlhost", esc(r.URL.Host))
	line("proto", esc(r.Proto))
	line("cl", strconv.FormatInt(r.ContentLength, 10))
	line("te", esc(strings.Join(r.TransferEncoding, ",")))
	line("close", strconv.FormatBool(r.Close))
	for _, n := range names {
		line("pv."+n, esc(r.PathValue(n)))
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("hdr."+esc(k), esc(strings.Join(r.Header[k], "|")))
	}
	line("body", body)
	io.WriteString(w, b.String())
}

// plain describes the request without reading its body.
func plain(names ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		describe(w, r, names, "-")
	}
}

// echo reads the whole body first.
func echo(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	body := esc(string(b))
	if err != nil {
		body = "ERR"
	}
	describe(w, r, nil, body)
}

// form parses the form and lists it.
func form(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm()
	var b strings.Builder
	if err != nil {
		b.WriteString("formerr\n")
	}
	keys := make([]string, 0, len(r.Form))
	for k := range r.Form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("form." + esc(k) + "=" + esc(strings.Join(r.Form[k], "|")) + "\n")
	}
	describe(w, r, nil, esc(b.String()))
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", plain("id"))
	mux.HandleFunc("POST /users", echo)
	mux.HandleFunc("DELETE /users/{id}", plain("id"))
	mux.HandleFunc("PUT /items/{id}", echo)
	mux.HandleFunc("/items/{id}", plain("id"))
	mux.HandleFunc("/files/{path...}", plain("path"))
	mux.HandleFunc("/exact/{$}", plain())
	mux.HandleFunc("/static/", plain())
	mux.HandleFunc("example.com/host", plain())
	mux.HandleFunc("example.com/", plain())
	mux.HandleFunc("GET /{$}", plain())
	mux.HandleFunc("GET /any/", plain())
	mux.HandleFunc("/a/{x}/b", plain("x"))
	mux.HandleFunc("/a/{x}/{y}", plain("x", "y"))
	mux.HandleFunc("GET /b/{bucket}/o/{obj...}", plain("bucket", "obj"))
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/noread", plain())
	mux.HandleFunc("GET /head", plain())
	mux.HandleFunc("/form", form)
	mux.HandleFunc("OPTIONS /opt", plain())
	mux.HandleFunc("/tree/", plain())
	mux.HandleFunc("/tree/leaf/{$}", plain())
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/users/1?x=y", http.StatusFound)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil || code < 200 || code > 599 {
			code = 500
		}
		w.WriteHeader(code)
		io.WriteString(w, "status "+strconv.Itoa(code)+"\n")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 500; i++ {
			fmt.Fprintf(w, "line %d\n", i)
		}
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	// The test holds our stdin open; when it goes, so do we.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv := &http.Server{Handler: mux, MaxHeaderBytes: 8 << 10}
	srv.Serve(ln)
}
