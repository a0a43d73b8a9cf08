package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// Shopper tokens are JWTs (RFC 7519) signed with HS256 under
// SHOPMUSE_SHOPPER_TOKEN_SECRET: sub is the shopper's user ID, exp is
// required and at most MaxShopperTokenTTL away. Verification is the
// standard library's HMAC; nothing else is accepted (no "none", no RS256
// with the secret as a public key, no unknown critical headers).
const (
	MaxShopperTokenTTL = 24 * time.Hour
	// MinShopperSecretBytes: HS256 keys shorter than the hash are guessable.
	MinShopperSecretBytes = 32
	// maxTokenBytes bounds what is decoded before the signature is checked.
	maxTokenBytes = 2048
	// clockSkew tolerates clocks of the issuer and this server that disagree.
	clockSkew = time.Minute
)

// ErrInvalidToken is every rejection; the reason is wrapped for logs only.
var ErrInvalidToken = errors.New("invalid shopper token")

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

type shopperClaims struct {
	Sub string `json:"sub"`
	Exp *int64 `json:"exp"`
	Iat *int64 `json:"iat,omitempty"`
	Nbf *int64 `json:"nbf,omitempty"`
}

// SignShopperToken returns a token for userID that expires after ttl.
func SignShopperToken(secret []byte, userID string, ttl time.Duration, now time.Time) (string, error) {
	if len(secret) < MinShopperSecretBytes {
		return "", fmt.Errorf("the shopper token secret must be at least %d bytes", MinShopperSecretBytes)
	}
	if code, msg := shop.ValidateID(userID); code != "" {
		return "", fmt.Errorf("user ID %s", msg)
	}
	if ttl <= 0 || ttl > MaxShopperTokenTTL {
		return "", fmt.Errorf("ttl must be positive and at most %s", MaxShopperTokenTTL)
	}
	iat, exp := now.Unix(), now.Add(ttl).Unix()
	payload, err := json.Marshal(shopperClaims{Sub: userID, Exp: &exp, Iat: &iat})
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sign(secret, signing)), nil
}

func sign(secret []byte, signing string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signing))
	return m.Sum(nil)
}

// ParseShopperToken verifies a token and returns its user ID. The
// signature is checked, in constant time, before the claims are read.
func ParseShopperToken(secret []byte, token string, now time.Time) (string, error) {
	sub, _, err := parseShopperToken(secret, token, now)
	return sub, err
}

// parseShopperToken is ParseShopperToken, also returning when the token
// expires.
func parseShopperToken(secret []byte, token string, now time.Time) (string, time.Time, error) {
	if len(secret) < MinShopperSecretBytes {
		return "", time.Time{}, fmt.Errorf("%w: no secret configured", ErrInvalidToken)
	}
	if len(token) > maxTokenBytes {
		return "", time.Time{}, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	h, rest, ok := strings.Cut(token, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(s, ".") {
		return "", time.Time{}, fmt.Errorf("%w: not header.payload.signature", ErrInvalidToken)
	}
	header, err := b64(h)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: header: %v", ErrInvalidToken, err)
	}
	var hdr map[string]json.RawMessage
	if err := strictJSON(header, &hdr); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: header: %v", ErrInvalidToken, err)
	}
	// Only HS256, named exactly; the algorithm is ours to choose, never
	// the token's.
	if string(hdr["alg"]) != `"HS256"` {
		return "", time.Time{}, fmt.Errorf("%w: alg must be HS256", ErrInvalidToken)
	}
	for k, v := range hdr {
		switch k {
		case "alg":
		case "typ":
			if string(v) != `"JWT"` {
				return "", time.Time{}, fmt.Errorf("%w: typ must be JWT", ErrInvalidToken)
			}
		case "kid":
		default:
			// crit, jku, jwk, x5u and the rest ask for processing we do not do.
			return "", time.Time{}, fmt.Errorf("%w: unsupported header %q", ErrInvalidToken, k)
		}
	}
	sig, err := b64(s)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: signature: %v", ErrInvalidToken, err)
	}
	if !hmac.Equal(sig, sign(secret, h+"."+p)) {
		return "", time.Time{}, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	payload, err := b64(p)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: payload: %v", ErrInvalidToken, err)
	}
	var c shopperClaims
	if err := strictJSON(payload, &c); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: claims: %v", ErrInvalidToken, err)
	}
	if code, _ := shop.ValidateID(c.Sub); code != "" {
		return "", time.Time{}, fmt.Errorf("%w: sub must be a user ID", ErrInvalidToken)
	}
	if c.Exp == nil {
		return "", time.Time{}, fmt.Errorf("%w: exp is required", ErrInvalidToken)
	}
	exp := time.Unix(*c.Exp, 0)
	switch {
	case !now.Before(exp):
		return "", time.Time{}, fmt.Errorf("%w: expired", ErrInvalidToken)
	case exp.Sub(now) > MaxShopperTokenTTL+clockSkew:
		return "", time.Time{}, fmt.Errorf("%w: exp is more than %s away", ErrInvalidToken, MaxShopperTokenTTL)
	case c.Iat != nil && exp.Sub(time.Unix(*c.Iat, 0)) > MaxShopperTokenTTL+clockSkew:
		return "", time.Time{}, fmt.Errorf("%w: lives longer than %s", ErrInvalidToken, MaxShopperTokenTTL)
	case c.Nbf != nil && now.Add(clockSkew).Before(time.Unix(*c.Nbf, 0)):
		return "", time.Time{}, fmt.Errorf("%w: not valid yet", ErrInvalidToken)
	}
	return c.Sub, exp, nil
}

// b64 decodes unpadded base64url, refusing padding and non-canonical
// encodings, so that one token has one spelling.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// strictJSON decodes one JSON object and nothing after it.
func strictJSON(b []byte, v any) error {
	if err := uniqueKeys(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// looksLikeJWT tells a token from an API key: three base64url parts.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2
}

// uniqueKeys refuses a JSON object that names a member twice: parsers
// disagree on which one wins ({"sub":"a","sub":"b"}), so a signer and this
// server could read different users out of one token.
func uniqueKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		if seen[k] {
			return fmt.Errorf("%q appears twice", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}
