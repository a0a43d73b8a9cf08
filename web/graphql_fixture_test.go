package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The browser test needs a GraphQL endpoint that GraphiQL can introspect and
// query. The real service wires badger, search and resolvers, which a test
// of the playground should not depend on, so this file is a deliberately
// small executor for a two-field schema. Parsing and validation are
// gqlparser's (the same code gqlgen runs) and the introspection data comes
// from gqlgen's introspection package, so GraphiQL sees a genuine schema and
// whatever introspection query it sends is really executed, not matched
// against a canned answer.

const fixtureSDL = `
"The stand-in schema of web's browser test."
type Query {
  "Greets name."
  hello(name: String = "world"): String!
  "The Authorization header of the request, as the server received it."
  authorization: String
}

"Served over graphql-transport-ws, as the real service serves subscriptions."
type Subscription {
  "Counts down from from to 0, one event each."
  countdown(from: Int!): Int!
}
`

var fixtureSchema = gqlparser.MustLoadSchema(&ast.Source{Name: "fixture.graphqls", Input: fixtureSDL})

// fixtureGraphQL answers POST /graphql like a GraphQL-over-HTTP server and
// counts the introspection queries it answers.
func fixtureGraphQL(introspections *atomic.Int32, ws *wsLog) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			serveWS(w, r, ws)
			return
		}
		serveFixture(w, r, introspections)
	}
}

// wsLog records what the page sent over the WebSocket, for the test to
// check: the connection_init payload is where the headers editor's values
// go, and where shopmuse reads the Authorization of a socket.
type wsLog struct {
	mu          sync.Mutex
	initPayload map[string]any
	subscribed  []string
}

// serveWS speaks the server side of graphql-transport-ws (the protocol of
// gqlgen's transport.Websocket and of the graphql-ws client) for the
// fixture's one subscription.
func serveWS(w http.ResponseWriter, r *http.Request, log *wsLog) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	if c.Subprotocol() != "graphql-transport-ws" {
		c.Close(4406, "subprotocol not acceptable")
		return
	}
	ctx := r.Context()
	type msg struct {
		ID      string          `json:"id,omitempty"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	send := func(m any) error { return wsjson.Write(ctx, c, m) }
	for {
		var m msg
		if err := wsjson.Read(ctx, c, &m); err != nil {
			return
		}
		switch m.Type {
		case "connection_init":
			var p map[string]any
			json.Unmarshal(m.Payload, &p)
			log.mu.Lock()
			log.initPayload = p
			log.mu.Unlock()
			if send(map[string]string{"type": "connection_ack"}) != nil {
				return
			}
		case "ping":
			send(map[string]string{"type": "pong"})
		case "subscribe":
			var p struct {
				Query         string         `json:"query"`
				OperationName string         `json:"operationName"`
				Variables     map[string]any `json:"variables"`
			}
			json.Unmarshal(m.Payload, &p)
			log.mu.Lock()
			log.subscribed = append(log.subscribed, p.Query)
			log.mu.Unlock()
			from, err := countdownFrom(p.Query, p.OperationName, p.Variables)
			if err != nil {
				send(map[string]any{"id": m.ID, "type": "error", "payload": []map[string]string{{"message": err.Error()}}})
				continue
			}
			for i := from; i >= 0; i-- {
				// Spaced out so the page renders each event, as it would
				// for a real stream.
				time.Sleep(50 * time.Millisecond)
				if send(map[string]any{"id": m.ID, "type": "next", "payload": map[string]any{"data": map[string]any{"countdown": i}}}) != nil {
					return
				}
			}
			send(map[string]string{"id": m.ID, "type": "complete"})
		case "complete":
			// The client stopped a subscription; ours have already ended.
		default:
			c.Close(4400, "unexpected message "+m.Type)
			return
		}
	}
}

// countdownFrom validates a subscription document against the fixture
// schema and returns countdown's from argument.
func countdownFrom(query, opName string, vars map[string]any) (int, error) {
	doc, errs := gqlparser.LoadQueryWithRules(fixtureSchema, query, nil)
	if len(errs) > 0 {
		return 0, errs
	}
	op := doc.Operations.ForName(opName)
	if op == nil || op.Operation != ast.Subscription {
		return 0, fmt.Errorf("not a subscription")
	}
	for _, f := range collect(op.SelectionSet, "Subscription") {
		if f.Name == "countdown" {
			var n int64
			switch v := f.ArgumentMap(vars)["from"].(type) {
			case int64: // a literal
				n = v
			case float64: // a JSON variable
				n = int64(v)
			}
			if n < 0 || n > 20 {
				return 0, fmt.Errorf("from must be in [0, 20]")
			}
			return int(n), nil
		}
	}
	return 0, fmt.Errorf("no countdown field")
}

func serveFixture(w http.ResponseWriter, r *http.Request, introspections *atomic.Int32) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
		return
	}
	data, err := execute(r, req.Query, req.OperationName, req.Variables)
	if err == nil && strings.Contains(req.Query, "__schema") {
		introspections.Add(1)
	}
	if err != nil {
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"message": err.Error()}}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func execute(r *http.Request, query, opName string, vars map[string]any) (obj, error) {
	doc, errs := gqlparser.LoadQueryWithRules(fixtureSchema, query, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	op := doc.Operations.ForName(opName)
	if op == nil {
		return nil, fmt.Errorf("no operation %q", opName)
	}
	if op.Operation != ast.Query {
		return nil, fmt.Errorf("only queries are supported by this fixture")
	}
	return resolveObject(r, op.SelectionSet, queryRoot{}, vars)
}

type queryRoot struct{}

// obj is a JSON object that keeps the selection's field order, as GraphQL
// responses do; GraphiQL shows the result in that order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// collect flattens fragments into the fields they select on parent.
func collect(set ast.SelectionSet, typeName string) []*ast.Field {
	var out []*ast.Field
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.FragmentSpread:
			out = append(out, collect(s.Definition.SelectionSet, typeName)...)
		case *ast.InlineFragment:
			if s.TypeCondition == "" || s.TypeCondition == typeName {
				out = append(out, collect(s.SelectionSet, typeName)...)
			}
		}
	}
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case queryRoot:
		return "Query"
	case *introspection.Schema:
		return "__Schema"
	case *introspection.Type:
		return "__Type"
	case introspection.Field:
		return "__Field"
	case introspection.InputValue:
		return "__InputValue"
	case introspection.EnumValue:
		return "__EnumValue"
	case introspection.Directive:
		return "__Directive"
	}
	return ""
}

func resolveObject(r *http.Request, set ast.SelectionSet, v any, vars map[string]any) (obj, error) {
	tn := typeName(v)
	var out obj
	for _, f := range collect(set, tn) {
		val, err := resolveField(r, v, tn, f, f.ArgumentMap(vars))
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", tn, f.Name, err)
		}
		val, err = complete(r, f, val, vars)
		if err != nil {
			return nil, err
		}
		out = append(out, kv{f.Alias, val})
	}
	return out, nil
}

// complete turns a resolved Go value into JSON, recursing into objects and
// lists of objects with the field's sub-selection.
func complete(r *http.Request, f *ast.Field, v any, vars map[string]any) (any, error) {
	if len(f.SelectionSet) == 0 || v == nil {
		return v, nil
	}
	var items []any
	switch v := v.(type) {
	case *introspection.Type:
		if v == nil {
			return nil, nil
		}
		return resolveObject(r, f.SelectionSet, v, vars)
	case []introspection.Type:
		for i := range v {
			items = append(items, &v[i])
		}
	case []introspection.Field:
		for _, x := range v {
			items = append(items, x)
		}
	case []introspection.InputValue:
		for _, x := range v {
			items = append(items, x)
		}
	case []introspection.EnumValue:
		for _, x := range v {
			items = append(items, x)
		}
	case []introspection.Directive:
		for _, x := range v {
			items = append(items, x)
		}
	default:
		return resolveObject(r, f.SelectionSet, v, vars)
	}
	if items == nil {
		// A null list (e.g. fields of a scalar) stays null; an empty one is [].
		if isNilSlice(v) {
			return nil, nil
		}
		return []any{}, nil
	}
	list := make([]any, len(items))
	for i, it := range items {
		o, err := resolveObject(r, f.SelectionSet, it, vars)
		if err != nil {
			return nil, err
		}
		list[i] = o
	}
	return list, nil
}

func isNilSlice(v any) bool {
	switch v := v.(type) {
	case []introspection.Field:
		return v == nil
	case []introspection.InputValue:
		return v == nil
	case []introspection.EnumValue:
		return v == nil
	case []introspection.Type:
		return v == nil
	}
	return false
}

func boolArg(args map[string]any, name string) bool {
	b, _ := args[name].(bool)
	return b
}

func resolveField(r *http.Request, v any, tn string, f *ast.Field, args map[string]any) (any, error) {
	if f.Name == "__typename" {
		return tn, nil
	}
	switch v := v.(type) {
	case queryRoot:
		switch f.Name {
		case "hello":
			name, _ := args["name"].(string)
			return "Hello, " + name + "!", nil
		case "authorization":
			if h := r.Header.Get("Authorization"); h != "" {
				return h, nil
			}
			return nil, nil
		case "__schema":
			return introspection.WrapSchema(fixtureSchema), nil
		case "__type":
			name, _ := args["name"].(string)
			return introspection.WrapTypeFromDef(fixtureSchema, fixtureSchema.Types[name]), nil
		}
	case *introspection.Schema:
		switch f.Name {
		case "description":
			return v.Description(), nil
		case "types":
			return v.Types(), nil
		case "queryType":
			return v.QueryType(), nil
		case "mutationType":
			return v.MutationType(), nil
		case "subscriptionType":
			return v.SubscriptionType(), nil
		case "directives":
			return v.Directives(), nil
		}
	case *introspection.Type:
		switch f.Name {
		case "kind":
			return v.Kind(), nil
		case "name":
			return v.Name(), nil
		case "description":
			return v.Description(), nil
		case "specifiedByURL", "specifiedByUrl":
			return v.SpecifiedByURL(), nil
		case "fields":
			return v.Fields(boolArg(args, "includeDeprecated")), nil
		case "interfaces":
			return v.Interfaces(), nil
		case "possibleTypes":
			return v.PossibleTypes(), nil
		case "enumValues":
			return v.EnumValues(boolArg(args, "includeDeprecated")), nil
		case "inputFields":
			return v.VisibleInputFields(boolArg(args, "includeDeprecated")), nil
		case "ofType":
			return v.OfType(), nil
		case "isOneOf":
			return v.IsOneOf(), nil
		}
	case introspection.Field:
		switch f.Name {
		case "name":
			return v.Name, nil
		case "description":
			return v.Description(), nil
		case "args":
			return v.VisibleArgs(boolArg(args, "includeDeprecated")), nil
		case "type":
			return v.Type, nil
		case "isDeprecated":
			return v.IsDeprecated(), nil
		case "deprecationReason":
			return v.DeprecationReason(), nil
		}
	case introspection.InputValue:
		switch f.Name {
		case "name":
			return v.Name, nil
		case "description":
			return v.Description(), nil
		case "type":
			return v.Type, nil
		case "defaultValue":
			return v.DefaultValue, nil
		case "isDeprecated":
			return v.IsDeprecated(), nil
		case "deprecationReason":
			return v.DeprecationReason(), nil
		}
	case introspection.EnumValue:
		switch f.Name {
		case "name":
			return v.Name, nil
		case "description":
			return v.Description(), nil
		case "isDeprecated":
			return v.IsDeprecated(), nil
		case "deprecationReason":
			return v.DeprecationReason(), nil
		}
	case introspection.Directive:
		switch f.Name {
		case "name":
			return v.Name, nil
		case "description":
			return v.Description(), nil
		case "locations":
			return v.Locations, nil
		case "args":
			return v.VisibleArgs(boolArg(args, "includeDeprecated")), nil
		case "isRepeatable":
			return v.IsRepeatable, nil
		}
	}
	return nil, fmt.Errorf("field not implemented by the test fixture")
}

// fixtureIntrospects is a sanity check used by the tests: the fixture must
// answer a standard introspection query, or GraphiQL would show a schema
// error instead of the editor the browser test drives.
func fixtureIntrospects(query string) (string, error) {
	data, err := execute(&http.Request{Header: http.Header{}}, query, "", nil)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(data)
	return strings.TrimSpace(string(b)), err
}
