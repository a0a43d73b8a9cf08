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
	// KindCampaignMessage: campaign messages, keyed by user ID.
	KindCampaignMessage = "cm"
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

// Connection is a Relay connection: one page of nodes with their cursors.
// The schema's connection types are instantiations of it (the aliases
// below, and engage's campaign messages), bound by gqlgen.
type Connection[T any] struct {
	Edges    []Edge[T] `json:"edges"`
	PageInfo PageInfo  `json:"pageInfo"`
	count    Counter
}

// Edge is one node with its cursor.
type Edge[T any] struct {
	Cursor string `json:"cursor"`
	Node   T      `json:"node"`
}

// NewConnection builds a connection over one page of items: key gives the
// cursor key of an item, of the given cursor kind. count may be nil when
// the schema offers no totalCount.
func NewConnection[T any](items []T, kind string, key func(*T) string, hasNext, hasPrev bool, count Counter) *Connection[T] {
	c := &Connection[T]{Edges: make([]Edge[T], len(items)), PageInfo: PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}, count: count}
	for i := range items {
		c.Edges[i] = Edge[T]{Cursor: EncodeCursor(kind, key(&items[i])), Node: items[i]}
	}
	if n := len(items); n > 0 {
		start, end := c.Edges[0].Cursor, c.Edges[n-1].Cursor
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c
}

// Nodes are the page's nodes without their cursors.
func (c *Connection[T]) Nodes() []T {
	out := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

// TotalCount counts the whole listing, on demand.
func (c *Connection[T]) TotalCount(ctx context.Context) (int, error) {
	if c.count == nil {
		return 0, errors.New("this connection has no total count")
	}
	return c.count(ctx)
}

// The catalogue's connections.
type (
	ProductConnection = Connection[shop.Product]
	ProductEdge       = Edge[shop.Product]
	UserConnection    = Connection[shop.User]
	UserEdge          = Edge[shop.User]
)

// NewProductConnection builds a connection over a page of products.
func NewProductConnection(items []shop.Product, hasNext, hasPrev bool, count Counter) *ProductConnection {
	return NewConnection(items, KindProduct, func(p *shop.Product) string { return p.ID }, hasNext, hasPrev, count)
}

// NewUserConnection builds a connection over a page of users.
func NewUserConnection(items []shop.User, hasNext, hasPrev bool, count Counter) *UserConnection {
	return NewConnection(items, KindUser, func(u *shop.User) string { return u.ID }, hasNext, hasPrev, count)
}
