// SPDX-License-Identifier: MIT
// get HOST PORT N: N GET requests with net/http, one connection each, that
// the client closes after the response (a Transport per request, its idle
// connection closed), printing each body.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[3])
	for i := 0; i < n; i++ {
		t := &http.Transport{}
		r, err := (&http.Client{Transport: t}).Get("http://" + os.Args[1] + ":" + os.Args[2] + "/")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		t.CloseIdleConnections()
		os.Stdout.Write(b)
	}
}
