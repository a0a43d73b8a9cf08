package experiment

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// A recommendation ID is "r" and the unpadded base64url of
//
//	version(1) flags(1) issuedAt(uvarint unix seconds) nonce(6) rank(uvarint)
//	arm(1; 0xff: none) len(1) experimentID mac(12)
//
// where mac is the first 12 bytes of HMAC-SHA256 over the bytes before it,
// the user ID and the product ID, with a secret the store keeps (blob
// experiment/secret, made on first start). The user and product are
// covered but not carried: an ID is only valid with the interaction's
// own user and product, so a shopper can neither forge one nor use one
// served to someone else or for another product. The nonce is per list,
// so one product shown twice gets two IDs. Stateless: nothing is written
// per served item.
const (
	tokenPrefix  = "r"
	tokenVersion = 1
	macLen       = 12
	noArm        = 0xff
	flagUser     = 1 // the ID is bound to a user (else: a list without one)
	// AttributionWindow is how long after serving an ID attributes
	// outcomes; older IDs are accepted but attribute nothing.
	AttributionWindow = 7 * 24 * time.Hour
)

// ErrForged is the verdict on an ID this server did not issue for this
// user and product.
var ErrForged = errors.New("no such recommendation was served to this user for this product")

// Claim is what a verified recommendation ID says.
type Claim struct {
	// ExperimentID and Arm: the experiment arm that served it; "" and -1
	// when none ran.
	ExperimentID string
	Arm          int
	IssuedAt     time.Time
	Rank         int
	// mac identifies the served item, for counting each outcome once.
	mac string
}

// List issues the IDs of one served list; not safe for concurrent use.
type List struct {
	m *Manager
	// mac is keyed once per list; each ID resets it (cheaper than a new
	// HMAC per item).
	mac    hash.Hash
	userID string
	exp    *Experiment
	arm    int
	issued time.Time
	nonce  [6]byte
}

// NewList starts a list served to userID ("" for lists without a shopper,
// such as related products) by the arm of exp (nil: no experiment).
func (m *Manager) NewList(userID string, exp *Experiment, arm int) (*List, error) {
	m.mu.RLock()
	secret := m.secret
	m.mu.RUnlock()
	l := &List{m: m, mac: hmac.New(sha256.New, secret), userID: userID, exp: exp, arm: arm, issued: m.now()}
	if _, err := io.ReadFull(m.rand, l.nonce[:]); err != nil {
		return nil, fmt.Errorf("recommendation list nonce: %w", err)
	}
	return l, nil
}

// ID is the recommendation ID of the item at rank (0-based) in the list.
func (l *List) ID(rank int, itemID string) string {
	b := make([]byte, 0, 64)
	b = append(b, tokenVersion)
	var flags byte
	if l.userID != "" {
		flags |= flagUser
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(max(0, l.issued.Unix())))
	b = append(b, l.nonce[:]...)
	b = binary.AppendUvarint(b, uint64(rank))
	expID := ""
	arm := byte(noArm)
	if l.exp != nil {
		expID, arm = l.exp.ID, byte(l.arm)
	}
	b = append(b, arm, byte(len(expID)))
	b = append(b, expID...)
	l.mac.Reset()
	b = append(b, sum(l.mac, b, l.userID, itemID)...)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func mac(secret, payload []byte, userID, itemID string) []byte {
	return sum(hmac.New(sha256.New, secret), payload, userID, itemID)
}

// sum writes the MAC's input to a keyed, reset h and returns the MAC.
func sum(h hash.Hash, payload []byte, userID, itemID string) []byte {
	h.Write(payload)
	h.Write([]byte{0})
	h.Write([]byte(userID))
	h.Write([]byte{0})
	h.Write([]byte(itemID))
	var out [sha256.Size]byte
	return h.Sum(out[:0])[:macLen]
}

// MaxIDLen bounds a recommendation ID: anything longer is refused before
// decoding.
const MaxIDLen = 200

// Verify checks a recommendation ID against the user and product of the
// interaction that sends it. IDs of lists without a shopper verify for
// any user.
func (m *Manager) Verify(id, userID, itemID string) (Claim, error) {
	if len(id) > MaxIDLen || len(id) < len(tokenPrefix) || id[:len(tokenPrefix)] != tokenPrefix {
		return Claim{}, ErrForged
	}
	raw, err := base64.RawURLEncoding.DecodeString(id[len(tokenPrefix):])
	if err != nil || len(raw) < 2+1+6+1+2+macLen || raw[0] != tokenVersion {
		return Claim{}, ErrForged
	}
	payload, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	flags := payload[1]
	user := ""
	if flags&flagUser != 0 {
		user = userID
	}
	m.mu.RLock()
	secret := m.secret
	m.mu.RUnlock()
	if !hmac.Equal(sum, mac(secret, payload, user, itemID)) {
		return Claim{}, ErrForged
	}
	rest := payload[2:]
	issued, n := binary.Uvarint(rest)
	if n <= 0 || len(rest) < n+6 {
		return Claim{}, ErrForged
	}
	rest = rest[n+6:]
	rank, n := binary.Uvarint(rest)
	if n <= 0 || len(rest) < n+2 {
		return Claim{}, ErrForged
	}
	rest = rest[n:]
	arm, l := rest[0], int(rest[1])
	rest = rest[2:]
	if len(rest) != l {
		return Claim{}, ErrForged
	}
	c := Claim{Arm: -1, IssuedAt: time.Unix(int64(issued), 0), Rank: int(rank), mac: base64.RawURLEncoding.EncodeToString(sum)}
	if arm != noArm && l > 0 {
		c.ExperimentID, c.Arm = string(rest), int(arm)
	}
	return c, nil
}
