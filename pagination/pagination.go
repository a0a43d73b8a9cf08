// Package pagination implements Relay-style cursor connections: opaque
// cursors, argument checks, and the connection types gqlgen binds to.
package pagination

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
)

// DefaultMaxFirst is the largest page a client may ask for unless the
// service is configured otherwise; HardMaxFirst bounds that configuration.
const (
	DefaultMaxFirst = 100
	HardMaxFirst    = 250
)

// ErrBadCursor is returned for a cursor this server did not issue.
var ErrBadCursor = errors.New("invalid cursor")

// Cursor kinds keep a product cursor from being replayed against users.
const (
	KindProduct = "p"
	KindUser    = "u"
)

// cursorVersion lets the encoding change without old cursors being misread.
const cursorVersion = "1"

// EncodeCursor makes an opaque cursor for the row with this key.
func EncodeCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + ":" + kind + ":" + key))
}

// DecodeCursor returns the key inside a cursor of the given kind; "" decodes to "".
func DecodeCursor(kind, cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", ErrBadCursor
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 || parts[0] != cursorVersion || parts[1] != kind || parts[2] == "" {
		return "", ErrBadCursor
	}
	if code, _ := shop.ValidateID(parts[2]); code != "" {
		return "", ErrBadCursor
	}
	return parts[2], nil
}

// CheckFirst validates a page size against the configured maximum.
func CheckFirst(first, maxFirst int) error {
	if first < 0 || first > maxFirst {
		return fmt.Errorf("first must be between 0 and %d, got %d", maxFirst, first)
	}
	return nil
}

// PageInfo is Relay's page information.
type PageInfo struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor,omitempty"`
	EndCursor       *string `json:"endCursor,omitempty"`
}

// Counter counts the rows of a whole listing; it runs only when a client
// asks for totalCount.
type Counter func(ctx context.Context) (int, error)

// ProductConnection is a page of products.
type ProductConnection struct {
	Edges    []ProductEdge `json:"edges"`
	PageInfo PageInfo      `json:"pageInfo"`
	count    Counter
}

// ProductEdge is one product with its cursor.
type ProductEdge struct {
	Cursor string       `json:"cursor"`
	Node   shop.Product `json:"node"`
}

// NewProductConnection builds a connection over a page of products.
func NewProductConnection(items []shop.Product, hasNext, hasPrev bool, count Counter) *ProductConnection {
	c := &ProductConnection{Edges: make([]ProductEdge, len(items)), count: count}
	for i, p := range items {
		c.Edges[i] = ProductEdge{Cursor: EncodeCursor(KindProduct, p.ID), Node: p}
	}
	c.PageInfo = pageInfo(len(items), hasNext, hasPrev, func(i int) string { return c.Edges[i].Cursor })
	return c
}

// Nodes lists the products without their cursors.
func (c *ProductConnection) Nodes() []shop.Product {
	out := make([]shop.Product, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

// TotalCount counts every product that passes the listing's filter.
func (c *ProductConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

// UserConnection is a page of users.
type UserConnection struct {
	Edges    []UserEdge `json:"edges"`
	PageInfo PageInfo   `json:"pageInfo"`
	count    Counter
}

// UserEdge is one user with its cursor.
type UserEdge struct {
	Cursor string    `json:"cursor"`
	Node   shop.User `json:"node"`
}

// NewUserConnection builds a connection over a page of users.
func NewUserConnection(items []shop.User, hasNext, hasPrev bool, count Counter) *UserConnection {
	c := &UserConnection{Edges: make([]UserEdge, len(items)), count: count}
	for i, u := range items {
		c.Edges[i] = UserEdge{Cursor: EncodeCursor(KindUser, u.ID), Node: u}
	}
	c.PageInfo = pageInfo(len(items), hasNext, hasPrev, func(i int) string { return c.Edges[i].Cursor })
	return c
}

// Nodes lists the users without their cursors.
func (c *UserConnection) Nodes() []shop.User {
	out := make([]shop.User, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

// TotalCount counts every user.
func (c *UserConnection) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

func pageInfo(n int, hasNext, hasPrev bool, cursor func(int) string) PageInfo {
	pi := PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}
	if n > 0 {
		start, end := cursor(0), cursor(n-1)
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}
