// idl-check: asks a running varlink service for every interface it has, and parses each
// description with the reference IDL parser (github.com/varlink/go/varlink/idl). Any failure is loud.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/varlink/go/varlink"
	"github.com/varlink/go/varlink/idl"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "idl-check: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// numbered shows a description with line numbers, so a parse error's position can be found.
func numbered(text string) string {
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}

// check fetches one interface's description and parses it; returns what went wrong, or "".
func check(ctx context.Context, c *varlink.Connection, name string) string {
	desc, err := c.GetInterfaceDescription(ctx, name)
	if err != nil {
		return fmt.Sprintf("GetInterfaceDescription(%q): %v", name, err)
	}
	parsed, err := idl.New(desc)
	if err != nil {
		return fmt.Sprintf("%s does not parse: %v\n%s", name, err, numbered(desc))
	}
	if parsed.Name != name {
		return fmt.Sprintf("GetInterfaceDescription(%q) describes %q", name, parsed.Name)
	}
	fmt.Printf("ok %s: %d methods, %d types, %d errors\n", name, len(parsed.Methods), len(parsed.Aliases), len(parsed.Errors))
	return ""
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "Usage: idl-check unix:PATH")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := varlink.NewConnection(ctx, os.Args[1])
	if err != nil {
		fail("connecting to %s: %v", os.Args[1], err)
	}
	defer c.Close()

	var vendor, product, version, url string
	var interfaces []string
	if err := c.GetInfo(ctx, &vendor, &product, &version, &url, &interfaces); err != nil {
		fail("GetInfo: %v", err)
	}
	fmt.Printf("%s %s %s (%s): %v\n", vendor, product, version, url, interfaces)
	failures := []string{}
	listed := false
	for _, name := range interfaces {
		listed = listed || name == "org.varlink.service"
	}
	if !listed {
		failures = append(failures, "GetInfo does not list org.varlink.service")
	}
	for _, name := range interfaces {
		if problem := check(ctx, c, name); problem != "" {
			failures = append(failures, problem)
		}
	}
	if len(failures) > 0 {
		fail("%d problem(s):\n%s", len(failures), strings.Join(failures, "\n"))
	}
}
