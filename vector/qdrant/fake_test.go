package qdrant

// A Qdrant stand-in speaking the real gRPC protocol, so the adapter is
// tested through the generated client, wire format and all, without Docker.
// It implements only the RPCs the adapter uses and interprets the filter
// protobufs itself; anything it does not understand is an error, so the
// adapter cannot pass by sending something a real server would read
// differently.

import (
	"context"
	"math"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"
	qc "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

// newBacking makes the index behind each fake collection: the embedded HNSW
// index, as the brief asks, so the fake ranks the way shopmuse's own index
// does. Queries ask it for every point (ef grows to k, so on test-sized
// collections the walk is exhaustive) and filter afterwards on the payload.
var newBacking = func(dim int) (vector.Index, error) { return hnsw.New(dim, hnsw.Options{}) }

type fakeState struct {
	apiKey string // required on every call when set

	mu              sync.Mutex
	collections     map[string]*fakeCollection
	apiKeysSeen     []string // the api-key header of each call, "" when absent
	upsertSizes     []int    // points per Upsert request
	fieldIndexCalls int
}

type fakeCollection struct {
	size     uint64
	distance qc.Distance
	schema   map[string]qc.PayloadSchemaType
	points   map[string]map[string]*qc.Value // payload by UUID
	index    vector.Index                    // vectors by UUID
}

type fakeQdrant struct {
	*fakeState
	addr string
}

// startFake serves a fake Qdrant on a loopback port until the test ends.
func startFake(t *testing.T, apiKey string) *fakeQdrant {
	t.Helper()
	st := &fakeState{apiKey: apiKey, collections: map[string]*fakeCollection{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(st.auth))
	qc.RegisterQdrantServer(srv, fakeHealth{})
	qc.RegisterCollectionsServer(srv, fakeCollections{fakeState: st})
	qc.RegisterPointsServer(srv, fakePoints{fakeState: st})
	go srv.Serve(lis) //nolint:errcheck // ends with Stop
	t.Cleanup(func() {
		srv.Stop()
		st.mu.Lock()
		defer st.mu.Unlock()
		for _, c := range st.collections {
			c.index.Close()
		}
	})
	return &fakeQdrant{fakeState: st, addr: lis.Addr().String()}
}

func (st *fakeState) auth(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	key := ""
	if v := md.Get("api-key"); len(v) > 0 {
		key = v[0]
	}
	st.mu.Lock()
	st.apiKeysSeen = append(st.apiKeysSeen, key)
	st.mu.Unlock()
	if st.apiKey != "" && key != st.apiKey {
		return nil, status.Error(codes.Unauthenticated, "Invalid api-key")
	}
	return h(ctx, req)
}

func (st *fakeState) collection(name string) (*fakeCollection, error) {
	c, ok := st.collections[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Not found: Collection `%s` doesn't exist!", name)
	}
	return c, nil
}

type fakeHealth struct{ qc.UnimplementedQdrantServer }

func (fakeHealth) HealthCheck(context.Context, *qc.HealthCheckRequest) (*qc.HealthCheckReply, error) {
	return &qc.HealthCheckReply{Title: "qdrant - fake", Version: "1.15.0"}, nil
}

type fakeCollections struct {
	qc.UnimplementedCollectionsServer
	*fakeState
}

func (s fakeCollections) CollectionExists(_ context.Context, req *qc.CollectionExistsRequest) (*qc.CollectionExistsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.collections[req.GetCollectionName()]
	return &qc.CollectionExistsResponse{Result: &qc.CollectionExists{Exists: ok}}, nil
}

func (s fakeCollections) Create(_ context.Context, req *qc.CreateCollection) (*qc.CollectionOperationResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := req.GetCollectionName()
	if _, ok := s.collections[name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Wrong input: Collection `%s` already exists!", name)
	}
	p := req.GetVectorsConfig().GetParams()
	if p == nil || p.GetSize() == 0 || p.GetDistance() == qc.Distance_UnknownDistance {
		return nil, status.Error(codes.InvalidArgument, "fake: want one unnamed vector with size and distance")
	}
	index, err := newBacking(int(p.GetSize()))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	s.collections[name] = &fakeCollection{
		size: p.GetSize(), distance: p.GetDistance(),
		schema: map[string]qc.PayloadSchemaType{},
		points: map[string]map[string]*qc.Value{},
		index:  index,
	}
	return &qc.CollectionOperationResponse{Result: true}, nil
}

func (s fakeCollections) Get(_ context.Context, req *qc.GetCollectionInfoRequest) (*qc.GetCollectionInfoResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	schema := map[string]*qc.PayloadSchemaInfo{}
	for f, typ := range c.schema {
		schema[f] = &qc.PayloadSchemaInfo{DataType: typ}
	}
	return &qc.GetCollectionInfoResponse{Result: &qc.CollectionInfo{
		Status: qc.CollectionStatus_Green,
		Config: &qc.CollectionConfig{Params: &qc.CollectionParams{
			VectorsConfig: qc.NewVectorsConfig(&qc.VectorParams{Size: c.size, Distance: c.distance}),
		}},
		PayloadSchema: schema,
		PointsCount:   qc.PtrOf(uint64(len(c.points))),
	}}, nil
}

type fakePoints struct {
	qc.UnimplementedPointsServer
	*fakeState
}

var fieldTypeSchema = map[qc.FieldType]qc.PayloadSchemaType{
	qc.FieldType_FieldTypeKeyword: qc.PayloadSchemaType_Keyword,
	qc.FieldType_FieldTypeInteger: qc.PayloadSchemaType_Integer,
	qc.FieldType_FieldTypeFloat:   qc.PayloadSchemaType_Float,
	qc.FieldType_FieldTypeBool:    qc.PayloadSchemaType_Bool,
}

func done() *qc.PointsOperationResponse {
	return &qc.PointsOperationResponse{Result: &qc.UpdateResult{Status: qc.UpdateStatus_Completed}}
}

func (s fakePoints) CreateFieldIndex(_ context.Context, req *qc.CreateFieldIndexCollection) (*qc.PointsOperationResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	typ, ok := fieldTypeSchema[req.GetFieldType()]
	if req.FieldType == nil || !ok {
		return nil, status.Errorf(codes.InvalidArgument, "fake: unsupported field type %v", req.FieldType)
	}
	c.schema[req.GetFieldName()] = typ
	s.fieldIndexCalls++
	return done(), nil
}

// denseOf reads a dense vector in either the current or the deprecated
// encoding.
func denseOf(v interface {
	GetDense() *qc.DenseVector
	GetData() []float32
}) []float32 {
	if d := v.GetDense(); d != nil {
		return d.GetData()
	}
	return v.GetData()
}

func (s fakePoints) Upsert(ctx context.Context, req *qc.UpsertPoints) (*qc.PointsOperationResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if !req.GetWait() {
		return nil, status.Error(codes.InvalidArgument, "fake: the adapter must wait for writes")
	}
	s.upsertSizes = append(s.upsertSizes, len(req.GetPoints()))
	// Validate everything first, as Qdrant rejects a request as a whole.
	pts := make([]vector.Point, 0, len(req.GetPoints()))
	for _, p := range req.GetPoints() {
		id, err := uuidOf(p.GetId())
		if err != nil {
			return nil, err
		}
		v := p.GetVectors().GetVector()
		if v == nil {
			return nil, status.Error(codes.InvalidArgument, "fake: want one unnamed dense vector")
		}
		vec := slices.Clone(denseOf(v))
		if uint64(len(vec)) != c.size {
			return nil, status.Errorf(codes.InvalidArgument,
				"Wrong input: Vector dimension error: expected dim: %d, got %d", c.size, len(vec))
		}
		if c.distance == qc.Distance_Cosine {
			normalize(vec) // as Qdrant does on write
		}
		pts = append(pts, vector.Point{ID: id, Vector: vec})
	}
	if err := c.index.Upsert(ctx, pts); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	for i, p := range req.GetPoints() {
		c.points[pts[i].ID] = clonePayload(p.GetPayload())
	}
	return done(), nil
}

func (s fakePoints) Delete(ctx context.Context, req *qc.DeletePoints) (*qc.PointsOperationResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	list := req.GetPoints().GetPoints()
	if list == nil {
		return nil, status.Error(codes.Unimplemented, "fake: delete by filter")
	}
	var ids []string
	for _, pid := range list.GetIds() {
		id, err := uuidOf(pid)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		delete(c.points, id)
	}
	if err := c.index.Delete(ctx, ids); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return done(), nil
}

func (s fakePoints) Get(ctx context.Context, req *qc.GetPoints) (*qc.GetResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	resp := &qc.GetResponse{}
	for _, pid := range req.GetIds() {
		id, err := uuidOf(pid)
		if err != nil {
			return nil, err
		}
		payload, ok := c.points[id]
		if !ok {
			continue
		}
		rp := &qc.RetrievedPoint{Id: pid, Payload: selectPayload(payload, req.GetWithPayload())}
		if req.GetWithVectors().GetEnable() {
			vec, _, err := c.index.Vector(ctx, id)
			if err != nil {
				return nil, status.Error(codes.Internal, err.Error())
			}
			rp.Vectors = &qc.VectorsOutput{VectorsOptions: &qc.VectorsOutput_Vector{Vector: &qc.VectorOutput{
				Vector: &qc.VectorOutput_Dense{Dense: &qc.DenseVector{Data: vec}},
			}}}
		}
		resp.Result = append(resp.Result, rp)
	}
	return resp, nil
}

func (s fakePoints) Count(_ context.Context, req *qc.CountPoints) (*qc.CountResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if !req.GetExact() {
		return nil, status.Error(codes.InvalidArgument, "fake: the adapter must ask for exact counts")
	}
	n := 0
	for id, payload := range c.points {
		ok, err := matchFilter(req.GetFilter(), id, payload)
		if err != nil {
			return nil, err
		}
		if ok {
			n++
		}
	}
	return &qc.CountResponse{Result: &qc.CountResult{Count: uint64(n)}}, nil
}

func (s fakePoints) Query(ctx context.Context, req *qc.QueryPoints) (*qc.QueryResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if len(req.GetPrefetch()) > 0 || req.Using != nil || req.GetOffset() != 0 || req.ScoreThreshold != nil || req.LookupFrom != nil {
		return nil, status.Error(codes.Unimplemented, "fake: only plain nearest-neighbour queries")
	}
	nearest := req.GetQuery().GetNearest()
	if nearest == nil || nearest.GetDense() == nil {
		return nil, status.Error(codes.Unimplemented, "fake: query must be nearest to a dense vector")
	}
	q := nearest.GetDense().GetData()
	if uint64(len(q)) != c.size {
		return nil, status.Errorf(codes.InvalidArgument,
			"Wrong input: Vector dimension error: expected dim: %d, got %d", c.size, len(q))
	}
	limit := 10 // Qdrant's default
	if req.Limit != nil {
		limit = int(req.GetLimit())
	}
	// Rank everything, then filter on the stored payload: the backing index
	// never sees the shop filter, only what the protobufs say.
	all, err := c.index.Search(ctx, q, len(c.points), nil)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	resp := &qc.QueryResponse{}
	for _, h := range all {
		if len(resp.Result) == limit {
			break
		}
		payload := c.points[h.ID]
		ok, err := matchFilter(req.GetFilter(), h.ID, payload)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		resp.Result = append(resp.Result, &qc.ScoredPoint{
			Id: qc.NewIDUUID(h.ID), Score: h.Score, Payload: selectPayload(payload, req.GetWithPayload()),
		})
	}
	return resp, nil
}

// matchFilter applies Qdrant's filter semantics: every must, at least one
// should (when there are any), no must_not, and min_should.
func matchFilter(f *qc.Filter, id string, payload map[string]*qc.Value) (bool, error) {
	if f == nil {
		return true, nil
	}
	for _, c := range f.GetMust() {
		if ok, err := matchCondition(c, id, payload); err != nil || !ok {
			return false, err
		}
	}
	for _, c := range f.GetMustNot() {
		if ok, err := matchCondition(c, id, payload); err != nil || ok {
			return false, err
		}
	}
	if len(f.GetShould()) > 0 {
		matched := false
		for _, c := range f.GetShould() {
			ok, err := matchCondition(c, id, payload)
			if err != nil {
				return false, err
			}
			matched = matched || ok
		}
		if !matched {
			return false, nil
		}
	}
	if ms := f.GetMinShould(); ms != nil {
		n := uint64(0)
		for _, c := range ms.GetConditions() {
			ok, err := matchCondition(c, id, payload)
			if err != nil {
				return false, err
			}
			if ok {
				n++
			}
		}
		if n < ms.GetMinCount() {
			return false, nil
		}
	}
	return true, nil
}

func matchCondition(c *qc.Condition, id string, payload map[string]*qc.Value) (bool, error) {
	switch c.GetConditionOneOf().(type) {
	case *qc.Condition_Field:
		return matchField(c.GetField(), payload)
	case *qc.Condition_Filter:
		return matchFilter(c.GetFilter(), id, payload)
	case *qc.Condition_HasId:
		for _, pid := range c.GetHasId().GetHasId() {
			if pid.GetUuid() == id {
				return true, nil
			}
		}
		return false, nil
	}
	return false, status.Errorf(codes.Unimplemented, "fake: condition %T", c.GetConditionOneOf())
}

// matchField: a condition on an array field holds when any element passes.
func matchField(fc *qc.FieldCondition, payload map[string]*qc.Value) (bool, error) {
	if fc.GeoBoundingBox != nil || fc.GeoRadius != nil || fc.GeoPolygon != nil || fc.ValuesCount != nil ||
		fc.DatetimeRange != nil || fc.IsEmpty != nil || fc.IsNull != nil {
		return false, status.Errorf(codes.Unimplemented, "fake: field condition on %q", fc.GetKey())
	}
	if (fc.Match == nil) == (fc.Range == nil) {
		return false, status.Errorf(codes.InvalidArgument, "fake: field condition on %q needs exactly one of match and range", fc.GetKey())
	}
	var values []*qc.Value
	if v, ok := payload[fc.GetKey()]; ok {
		if l, isList := v.GetKind().(*qc.Value_ListValue); isList {
			values = l.ListValue.GetValues()
		} else {
			values = []*qc.Value{v}
		}
	}
	var pass func(v *qc.Value) (bool, error)
	if r := fc.GetRange(); r != nil {
		pass = func(v *qc.Value) (bool, error) {
			var x float64
			switch k := v.GetKind().(type) {
			case *qc.Value_IntegerValue:
				x = float64(k.IntegerValue)
			case *qc.Value_DoubleValue:
				x = k.DoubleValue
			default:
				return false, nil
			}
			return (r.Lt == nil || x < r.GetLt()) && (r.Lte == nil || x <= r.GetLte()) &&
				(r.Gt == nil || x > r.GetGt()) && (r.Gte == nil || x >= r.GetGte()), nil
		}
	} else {
		switch m := fc.GetMatch().GetMatchValue().(type) {
		case *qc.Match_Keyword:
			pass = func(v *qc.Value) (bool, error) { return isString(v, m.Keyword), nil }
		case *qc.Match_Keywords:
			pass = func(v *qc.Value) (bool, error) {
				return slices.ContainsFunc(m.Keywords.GetStrings(), func(s string) bool { return isString(v, s) }), nil
			}
		case *qc.Match_Integer:
			pass = func(v *qc.Value) (bool, error) {
				k, ok := v.GetKind().(*qc.Value_IntegerValue)
				return ok && k.IntegerValue == m.Integer, nil
			}
		case *qc.Match_Integers:
			pass = func(v *qc.Value) (bool, error) {
				k, ok := v.GetKind().(*qc.Value_IntegerValue)
				return ok && slices.Contains(m.Integers.GetIntegers(), k.IntegerValue), nil
			}
		case *qc.Match_Boolean:
			pass = func(v *qc.Value) (bool, error) {
				k, ok := v.GetKind().(*qc.Value_BoolValue)
				return ok && k.BoolValue == m.Boolean, nil
			}
		default:
			return false, status.Errorf(codes.Unimplemented, "fake: match %T on %q", m, fc.GetKey())
		}
	}
	for _, v := range values {
		if ok, err := pass(v); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func isString(v *qc.Value, s string) bool {
	k, ok := v.GetKind().(*qc.Value_StringValue)
	return ok && k.StringValue == s
}

func selectPayload(payload map[string]*qc.Value, sel *qc.WithPayloadSelector) map[string]*qc.Value {
	out := map[string]*qc.Value{}
	switch {
	case sel.GetInclude() != nil:
		for _, f := range sel.GetInclude().GetFields() {
			if v, ok := payload[f]; ok {
				out[f] = v
			}
		}
	case sel.GetExclude() != nil:
		for f, v := range payload {
			if !slices.Contains(sel.GetExclude().GetFields(), f) {
				out[f] = v
			}
		}
	case sel.GetEnable():
		return clonePayload(payload)
	}
	return out
}

func clonePayload(p map[string]*qc.Value) map[string]*qc.Value {
	out := make(map[string]*qc.Value, len(p))
	for k, v := range p {
		out[k] = proto.Clone(v).(*qc.Value)
	}
	return out
}

func uuidOf(pid *qc.PointId) (string, error) {
	u, ok := pid.GetPointIdOptions().(*qc.PointId_Uuid)
	if !ok {
		return "", status.Error(codes.InvalidArgument, "fake: the adapter uses UUID point IDs only")
	}
	parsed, err := uuid.Parse(u.Uuid)
	if err != nil {
		return "", status.Errorf(codes.InvalidArgument, "Unable to parse UUID: %s", u.Uuid)
	}
	return parsed.String(), nil
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	n := math.Sqrt(s)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
}
