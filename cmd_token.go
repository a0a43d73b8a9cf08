package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/api"
)

// runToken is `shopmuse token --user ID [--ttl 1h]`: a shopper token signed
// with SHOPMUSE_SHOPPER_TOKEN_SECRET, for tests and demos. A shop's own
// backend signs the same HS256 JWT with any JWT library.
func runToken(getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "", "the shopper's user ID (the token's sub)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid; at most 24h")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := strings.TrimSpace(getenv("SHOPMUSE_SHOPPER_TOKEN_SECRET"))
	if secret == "" {
		return errors.New("token: set SHOPMUSE_SHOPPER_TOKEN_SECRET (at least 32 bytes), as the service has it")
	}
	if *user == "" {
		return errors.New("token: --user is required")
	}
	tok, err := api.SignShopperToken([]byte(secret), *user, *ttl, time.Now())
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
