package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("0123456789abcdef0123456789abcdef")
	testNow    = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
)

// forge builds a token from raw header and claims, signed with secret
// (HS256) or with the signature given.
func forge(header, claims string, secret []byte) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(header))
	p := base64.RawURLEncoding.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(h + "." + p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestShopperTokens(t *testing.T) {
	tok, err := SignShopperToken(testSecret, "u003", time.Hour, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := ParseShopperToken(testSecret, tok, testNow.Add(59*time.Minute)); err != nil || sub != "u003" {
		t.Fatalf("round trip: %q %v", sub, err)
	}
	exp := testNow.Add(time.Hour).Unix()
	claims := func(extra string) string {
		return `{"sub":"u003","exp":` + itoa(exp) + extra + `}`
	}
	hs := `{"alg":"HS256","typ":"JWT"}`
	bad := map[string]string{
		"expired":           tok, // checked at testNow+2h below
		"alg none":          forge(`{"alg":"none","typ":"JWT"}`, claims(""), testSecret),
		"alg none unsigned": unsigned(`{"alg":"none"}`, claims("")),
		"alg HS512":         forge(`{"alg":"HS512"}`, claims(""), testSecret),
		"alg hs256":         forge(`{"alg":"hs256"}`, claims(""), testSecret),
		"crit header":       forge(`{"alg":"HS256","crit":["exp"]}`, claims(""), testSecret),
		"jku header":        forge(`{"alg":"HS256","jku":"https://evil.example/k"}`, claims(""), testSecret),
		"wrong secret":      forge(hs, claims(""), []byte("another-secret-of-thirty-two-byte")),
		"no exp":            forge(hs, `{"sub":"u003"}`, testSecret),
		"exp as string":     forge(hs, `{"sub":"u003","exp":"`+itoa(exp)+`"}`, testSecret),
		"exp in 2 days":     forge(hs, `{"sub":"u003","exp":`+itoa(testNow.Add(48*time.Hour).Unix())+`}`, testSecret),
		"lives 30h":         forge(hs, claims(`,"iat":`+itoa(testNow.Add(-29*time.Hour).Unix())), testSecret),
		"not yet":           forge(hs, claims(`,"nbf":`+itoa(testNow.Add(10*time.Minute).Unix())), testSecret),
		"no sub":            forge(hs, `{"exp":`+itoa(exp)+`}`, testSecret),
		"sub not an ID":     forge(hs, `{"sub":"a b\n","exp":`+itoa(exp)+`}`, testSecret),
		"trailing claims":   forge(hs, claims("")+`{}`, testSecret),
		"sub twice":         forge(hs, `{"sub":"u001","exp":`+itoa(exp)+`,"sub":"u003"}`, testSecret),
		"alg twice":         forge(`{"alg":"HS256","alg":"none"}`, claims(""), testSecret),
		"four parts":        tok + ".x",
		"padded signature":  tok + "=",
		"empty":             "",
		"too long":          forge(hs, claims(`,"x":"`+strings.Repeat("a", 3000)+`"`), testSecret),
	}
	for name, tok := range bad {
		now := testNow
		if name == "expired" {
			now = testNow.Add(2 * time.Hour)
		}
		if sub, err := ParseShopperToken(testSecret, tok, now); err == nil || !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: accepted as %q (%v)", name, sub, err)
		}
	}
	// A tampered payload fails the signature.
	parts := strings.Split(tok, ".")
	p2 := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u004","exp":` + itoa(exp) + `}`))
	if _, err := ParseShopperToken(testSecret, parts[0]+"."+p2+"."+parts[2], testNow); err == nil {
		t.Fatal("payload swapped under the same signature accepted")
	}
	for _, ttl := range []time.Duration{0, -time.Minute, 25 * time.Hour} {
		if _, err := SignShopperToken(testSecret, "u003", ttl, testNow); err == nil {
			t.Errorf("ttl %s signed", ttl)
		}
	}
	if _, err := SignShopperToken([]byte("short"), "u003", time.Hour, testNow); err == nil {
		t.Error("short secret accepted")
	}
}

// unsigned is header.claims. with an empty signature, as alg none sends.
func unsigned(header, claims string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + "."
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// FuzzParseShopperToken: no input panics, and whatever is accepted was
// signed with the secret, names a user, and expires within 24 hours.
func FuzzParseShopperToken(f *testing.F) {
	tok, _ := SignShopperToken(testSecret, "u003", time.Hour, testNow)
	f.Add(tok)
	f.Add(forge(`{"alg":"none"}`, `{"sub":"u1","exp":1}`, testSecret))
	f.Add("a.b.c")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		sub, err := ParseShopperToken(testSecret, s, testNow)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
			return
		}
		parts := strings.Split(s, ".")
		if len(parts) != 3 || sub == "" {
			t.Fatalf("accepted %q as %q", s, sub)
		}
		m := hmac.New(sha256.New, testSecret)
		m.Write([]byte(parts[0] + "." + parts[1]))
		if base64.RawURLEncoding.EncodeToString(m.Sum(nil)) != parts[2] {
			t.Fatalf("accepted %q without our signature", s)
		}
		var c struct{ Exp int64 }
		p, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if json.Unmarshal(p, &c) != nil || time.Unix(c.Exp, 0).Sub(testNow) > MaxShopperTokenTTL+clockSkew || !time.Unix(c.Exp, 0).After(testNow) {
			t.Fatalf("accepted %q with exp %d", s, c.Exp)
		}
	})
}
