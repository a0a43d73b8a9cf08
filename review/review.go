// Package review is the human sign-off on copy (issue 18): every variant the
// writer produces gets a record (PENDING, APPROVED or REJECTED) when review
// is on; only approved text is served to shoppers, and every decision is
// kept in an audit log with who made it, when, and the text before and
// after. It also holds image facts, candidate product facts a vision model
// saw, which copy may state only once an admin approved them.
//
// Everything lives in the store's blobs and is read through on every use,
// so replicas agree without a reload: there is no in-memory state derived
// from the store.
package review

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Namespace is the blob namespace of review records and audit entries:
//
//	v/<variantID>                     the variant's Record
//	a/all/<newest-first time>         an audit Decision, for the whole log
//	a/v/<variantID>/<newest-first>    the same Decision, for one variant
//	s/<userID>/<variantID>            the record was written from the user's
//	                                  persona (erased with them, EraseUser)
//	decided                           swapped by every decision, so that
//	                                  replicas' decisions take turns (and an
//	                                  erasure's tombstone: an empty v/<id>)
const Namespace = "copyreview"

// Limits on one decision.
const (
	MaxIDs          = 100
	MaxReasonLen    = 500
	MaxTextLen      = 5000
	MaxHeadlineLen  = 200
	maxScanPageSize = 500
)

// Blobs is what review needs of the store.
type Blobs interface {
	GetBlob(ctx context.Context, namespace, k string) ([]byte, bool, error)
	PutBlobs(ctx context.Context, namespace string, blobs []store.Blob) error
	ListBlobs(ctx context.Context, namespace, prefix, after string, first int) ([]store.Blob, bool, error)
	DeleteBlob(ctx context.Context, namespace, k string) error
	DeleteBlobs(ctx context.Context, namespace, prefix string) error
	store.BlobSwapper
}

// Record is one variant under review: what was written, for what, and its
// state. The record's text is what shoppers are served once approved, even
// when the writer later produces different words under the same ID (two
// personas of one segment), so approved means exactly this text.
type Record struct {
	VariantID string             `json:"id"`
	ProductID string             `json:"productID"`
	Category  string             `json:"category"`
	Channel   copywriter.Channel `json:"channel"`
	Language  shop.Language      `json:"language"`
	// Segment is the persona segment (never the persona text: for a
	// shopper that is their profile and history).
	Segment      string             `json:"segment"`
	Headline     string             `json:"headline"`
	Text         string             `json:"text"`
	Checks       []copywriter.Check `json:"checks"`
	Generator    string             `json:"generator"`
	Angle        string             `json:"angle"`
	Status       copywriter.Status  `json:"status"`
	ReviewedBy   string             `json:"reviewedBy,omitempty"`
	ReviewedAt   time.Time          `json:"reviewedAt"`
	RejectReason string             `json:"rejectReason,omitempty"`
	Edited       bool               `json:"edited,omitempty"`
	CreatedAt    time.Time          `json:"createdAt"`
	// Subject is the user whose persona the text was written for, when
	// it was (a shopper's recommendations): the words may carry their
	// profile and history, so erasing the user erases the record.
	Subject string `json:"subject,omitempty"`
}

// Variant is the record as a served variant, with its review state.
func (r *Record) Variant() copywriter.Variant {
	return copywriter.Variant{
		ID: r.VariantID, Headline: r.Headline, Text: r.Text, Checks: r.Checks, Generator: r.Generator, Angle: r.Angle,
		ProductID: r.ProductID, Channel: r.Channel, Language: r.Language, Segment: r.Segment,
		Review: &copywriter.Review{Status: r.Status, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt,
			RejectReason: r.RejectReason, Edited: r.Edited},
	}
}

// Revision is a short hash of the words a decision approves (the headline
// and the text): a reviewer gives back the revision they read, and a
// decision on words that changed since is refused (optimistic concurrency).
func Revision(headline, text string) string {
	h := sha256.New()
	h.Write([]byte(headline))
	h.Write([]byte{0})
	h.Write([]byte(text))
	return hex.EncodeToString(h.Sum(nil)[:revisionLen/2])
}

// revisionLen is the length of a Revision.
const revisionLen = 16

// wellFormedRevision reports whether s could be a Revision.
func wellFormedRevision(s string) bool {
	if len(s) != revisionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Revision is the revision of the record's words.
func (r *Record) Revision() string { return Revision(r.Headline, r.Text) }

func (r *Record) snapshot() *Snapshot {
	return &Snapshot{Headline: r.Headline, Text: r.Text, Status: r.Status}
}

// Snapshot is a variant's text and state before or after a decision.
type Snapshot struct {
	Headline string            `json:"headline"`
	Text     string            `json:"text"`
	Status   copywriter.Status `json:"status"`
}

// Revision is the revision of the snapshot's words: an approval's before
// snapshot carries the revision the reviewer gave.
func (s *Snapshot) Revision() string { return Revision(s.Headline, s.Text) }

// Decision is one audit entry.
type Decision struct {
	// Key is the entry's blob key under a/all/ (its cursor).
	Key       string    `json:"-"`
	VariantID string    `json:"variantID"`
	Action    string    `json:"action"` // approve, reject, edit
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
	Before    *Snapshot `json:"before,omitempty"`
	After     *Snapshot `json:"after,omitempty"`
	Reason    *string   `json:"reason,omitempty"`
}

// Options configure a Service.
type Options struct {
	// On: new variants wait for approval and shoppers see approved ones only.
	On  bool
	Now func() time.Time
	Log *slog.Logger
}

// Service is safe for concurrent use.
type Service struct {
	st  Blobs
	on  bool
	now func() time.Time
	log *slog.Logger
	// mu serialises decisions of this replica, so two admins' decisions on
	// one variant do not interleave their read and write.
	mu sync.Mutex
}

// New returns a Service over the store's blobs.
func New(st Blobs, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{st: st, on: o.On, now: o.Now, log: o.Log}
}

// On reports whether review is on (SHOPMUSE_COPY_REVIEW=on).
func (s *Service) On() bool { return s != nil && s.on }

func recordKey(id string) string { return "v/" + id }

// subjectPrefix lists the records written from a user's persona; the ID is
// path-escaped so that one user's prefix never covers another's.
func subjectPrefix(userID string) string { return "s/" + url.PathEscape(userID) + "/" }

func subjectKey(userID, variantID string) string { return subjectPrefix(userID) + variantID }

// erasedText replaces the words of an erased user's copy in the audit log,
// which keeps who decided what and when.
const erasedText = "(erased with the shopper it was written for)"

// EraseUser removes the records written from the user's persona, and
// blanks their words in the audit log (its entries stay: who decided
// what, and when). Approved ones go too: the words came from the user's
// data; the next request for that segment registers new copy for review.
func (s *Service) EraseUser(ctx context.Context, userID string) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := subjectPrefix(userID)
	after := ""
	for {
		page, more, err := s.st.ListBlobs(ctx, Namespace, prefix, after, maxScanPageSize)
		if err != nil {
			return fmt.Errorf("erase review records of %q: %w", userID, err)
		}
		for _, b := range page {
			after = b.Key
			id := strings.TrimPrefix(b.Key, prefix)
			b, ok, err := s.st.GetBlob(ctx, Namespace, recordKey(id))
			if err != nil {
				return fmt.Errorf("erase review records of %q: %w", userID, err)
			}
			if ok && len(b) == 0 {
				// The tombstone of an erasure that stopped before
				// deleting it: left, it would keep the variant from
				// ever being registered again.
				if err := s.st.DeleteBlob(ctx, Namespace, recordKey(id)); err != nil {
					return fmt.Errorf("erase review records of %q: %w", userID, err)
				}
				continue
			}
			r, err := s.Get(ctx, id)
			if err != nil {
				return err
			}
			if r == nil || r.Subject != userID {
				continue
			}
			// First the tombstone, a decision's turn: a decision made
			// on another replica from the record read before it is then
			// refused, so no decision writes the words back, nor audits
			// them after the scrub.
			if err := s.tombstone(ctx, id); err != nil {
				return fmt.Errorf("erase review records of %q: %w", userID, err)
			}
			if err := s.scrubAudit(ctx, id); err != nil {
				return fmt.Errorf("erase review records of %q: %w", userID, err)
			}
			if err := s.st.DeleteBlob(ctx, Namespace, recordKey(id)); err != nil {
				return fmt.Errorf("erase review records of %q: %w", userID, err)
			}
		}
		if !more || len(page) == 0 {
			break
		}
	}
	if err := s.st.DeleteBlobs(ctx, Namespace, prefix); err != nil {
		return fmt.Errorf("erase review records of %q: %w", userID, err)
	}
	return nil
}

// tombstone empties a record (Get reads it as none) in a swap of the
// decisions' guard blob, so that it takes its turn among decisions.
func (s *Service) tombstone(ctx context.Context, id string) error {
	for attempt := range store.MaxSwapAttempts {
		_, version, err := s.st.GetBlobVersion(ctx, Namespace, keyDecided)
		if err != nil {
			return err
		}
		ok, err := s.st.PutBlobIf(ctx, Namespace, keyDecided, []byte(s.now().UTC().Format(time.RFC3339Nano)), version,
			store.Blob{Key: recordKey(id), Value: []byte{}})
		if err != nil || ok {
			return err
		}
		if err := store.SwapBackoff(ctx, attempt); err != nil {
			return err
		}
	}
	return store.ErrContended
}

// scrubAudit blanks the words of a variant's audit entries, in both the
// variant's log and the whole log.
func (s *Service) scrubAudit(ctx context.Context, variantID string) error {
	prefix := "a/v/" + variantID + "/"
	after := ""
	for {
		page, more, err := s.st.ListBlobs(ctx, Namespace, prefix, after, maxScanPageSize)
		if err != nil {
			return err
		}
		var out []store.Blob
		for _, b := range page {
			after = b.Key
			var d Decision
			if err := json.Unmarshal(b.Value, &d); err != nil {
				return fmt.Errorf("audit entry %s: %w", b.Key, err)
			}
			for _, sn := range []*Snapshot{d.Before, d.After} {
				if sn != nil {
					sn.Headline, sn.Text = "", erasedText
				}
			}
			v, err := json.Marshal(d)
			if err != nil {
				return err
			}
			out = append(out, store.Blob{Key: b.Key, Value: v}, store.Blob{Key: "a/all/" + strings.TrimPrefix(b.Key, prefix), Value: v})
		}
		if len(out) > 0 {
			if err := s.st.PutBlobs(ctx, Namespace, out); err != nil {
				return err
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
	}
}

// Get returns a variant's record, or nil (also for the empty tombstone
// of an erased one).
func (s *Service) Get(ctx context.Context, id string) (*Record, error) {
	b, ok, err := s.st.GetBlob(ctx, Namespace, recordKey(id))
	if err != nil || !ok || len(b) == 0 {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("review record %s: %w", id, err)
	}
	return &r, nil
}

// Annotate applies review to a result when review is on: each variant gets
// its record (a new one is registered PENDING), is replaced by the
// record's text and checks, and carries its state. With approvedOnly only
// APPROVED variants remain — what a shopper may see. With review off it
// changes nothing.
func (s *Service) Annotate(ctx context.Context, res *copywriter.Result, p *shop.Product, approvedOnly bool) error {
	if !s.On() {
		return nil
	}
	return s.annotate(ctx, res, p, approvedOnly)
}

// Register records the result's variants for review whether review is on
// or not (a batch job fills the queue ahead of switching it on).
func (s *Service) Register(ctx context.Context, res *copywriter.Result, p *shop.Product) error {
	return s.annotate(ctx, res, p, false)
}

type readOnlyKey struct{}

// ReadOnly marks ctx as a caller that writes nothing (a catalog key): copy
// it is shown is filtered as usual, but variants new to review are not
// registered, so a loop with such a key cannot fill the queue.
func ReadOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, readOnlyKey{}, true)
}

func readOnly(ctx context.Context) bool { v, _ := ctx.Value(readOnlyKey{}).(bool); return v }

func (s *Service) annotate(ctx context.Context, res *copywriter.Result, p *shop.Product, approvedOnly bool) error {
	kept := res.Variants[:0:0]
	for _, v := range res.Variants {
		r, err := s.Get(ctx, v.ID)
		if err != nil {
			return err
		}
		if r == nil {
			r = &Record{VariantID: v.ID, ProductID: p.ID, Category: p.Category, Channel: res.Channel, Language: res.Language,
				Segment: v.Segment, Headline: v.Headline, Text: v.Text, Checks: v.Checks, Generator: v.Generator, Angle: v.Angle,
				Status: copywriter.StatusPending, CreatedAt: s.now().UTC()}
			subject, personal := store.SubjectFrom(ctx)
			if personal {
				r.Subject = subject
			}
			if !readOnly(ctx) {
				if r, err = s.register(ctx, r); err != nil {
					return err
				}
			}
		}
		if approvedOnly && r.Status != copywriter.StatusApproved {
			continue
		}
		kept = append(kept, r.Variant())
	}
	res.Variants = kept
	return nil
}

// register stores a new record, only if there is none: a record another
// replica registered in the meantime, and maybe an admin decided on since,
// is kept, and returned instead.
func (s *Service) register(ctx context.Context, r *Record) (*Record, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("review record %s: %w", r.VariantID, err)
	}
	var with []store.Blob
	if r.Subject != "" {
		with = append(with, store.Blob{Key: subjectKey(r.Subject, r.VariantID), Value: []byte{}})
	}
	ok, err := s.st.PutBlobIf(ctx, Namespace, recordKey(r.VariantID), b, 0, with...)
	if err != nil {
		return nil, fmt.Errorf("register copy for review: %w", err)
	}
	if ok {
		return r, nil
	}
	stored, err := s.Get(ctx, r.VariantID)
	if err != nil || stored == nil { // erased again since: show what was written
		return r, err
	}
	return stored, nil
}

// Filter narrows the queue; zero fields match everything.
type Filter struct {
	Status         copywriter.Status
	ProductID      string
	CategoryPrefix string
	Channel        copywriter.Channel
	// FailedChecks: nil any, true only variants failing a check, false only passing ones.
	FailedChecks *bool
}

func (f Filter) match(r *Record) bool {
	switch {
	case f.Status != "" && r.Status != f.Status,
		f.ProductID != "" && r.ProductID != f.ProductID,
		f.CategoryPrefix != "" && !shop.CategoryMatches(r.Category, f.CategoryPrefix),
		f.Channel != "" && r.Channel != f.Channel,
		f.FailedChecks != nil && *f.FailedChecks == copywriter.Passed(r.Checks):
		return false
	}
	return true
}

// Queue returns up to first records passing the filter, in variant ID
// order, after the given variant ID, and whether more follow.
func (s *Service) Queue(ctx context.Context, f Filter, first int, after string) ([]Record, bool, error) {
	var out []Record
	more := false
	err := s.scan(ctx, after, func(r *Record) bool {
		if !f.match(r) {
			return true
		}
		if len(out) == first {
			more = true
			return false
		}
		out = append(out, *r)
		return true
	})
	return out, more, err
}

// Count counts the records passing the filter.
func (s *Service) Count(ctx context.Context, f Filter) (int, error) {
	n := 0
	err := s.scan(ctx, "", func(r *Record) bool {
		if f.match(r) {
			n++
		}
		return true
	})
	return n, err
}

// scan visits the records after the given variant ID until fn returns false.
func (s *Service) scan(ctx context.Context, afterID string, fn func(*Record) bool) error {
	after := ""
	if afterID != "" {
		after = recordKey(afterID)
	}
	for {
		page, more, err := s.st.ListBlobs(ctx, Namespace, "v/", after, maxScanPageSize)
		if err != nil {
			return err
		}
		for _, b := range page {
			if len(b.Value) == 0 {
				continue // an erased record's tombstone
			}
			var r Record
			if err := json.Unmarshal(b.Value, &r); err != nil {
				s.log.WarnContext(ctx, "unreadable review record", "key", b.Key, "err", err)
				continue
			}
			if !fn(&r) {
				return nil
			}
		}
		if !more || len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].Key
	}
}

// CheckFunc re-checks edited text against the product's facts.
type CheckFunc func(ctx context.Context, r *Record, v copywriter.Variant) ([]copywriter.Check, error)

// Approve approves variants. A variant failing a check is refused, and
// then nothing changes. revisions, when given, are the revisions of the
// words the reviewer read, one per ID (see decide).
func (s *Service) Approve(ctx context.Context, actor string, ids, revisions []string) ([]copywriter.Variant, []shop.UserError, error) {
	return s.decide(ctx, actor, ids, revisions, "approve", nil, func(i int, r *Record) *shop.UserError {
		if !copywriter.Passed(r.Checks) {
			return &shop.UserError{Field: []string{"ids", strconv.Itoa(i)}, Code: shop.CodeInvalid,
				Message: fmt.Sprintf("variant %q fails its checks (%s); edit it first", r.VariantID, failing(r.Checks))}
		}
		r.Status, r.RejectReason = copywriter.StatusApproved, ""
		return nil
	})
}

// Reject rejects variants with a reason; revisions as for Approve.
func (s *Service) Reject(ctx context.Context, actor string, ids, revisions []string, reason string) ([]copywriter.Variant, []shop.UserError, error) {
	reason = strings.TrimSpace(reason)
	if ue := checkText([]string{"reason"}, reason, MaxReasonLen, true); ue != nil {
		return nil, []shop.UserError{*ue}, nil
	}
	return s.decide(ctx, actor, ids, revisions, "reject", &reason, func(_ int, r *Record) *shop.UserError {
		r.Status, r.RejectReason = copywriter.StatusRejected, reason
		return nil
	})
}

// Edit replaces a variant's text (and headline when given), re-checks it
// and returns it to PENDING: new words need a new approval, and words that
// fail a check cannot get one until edited again. revision, when given, is
// the revision of the words the editor started from.
func (s *Service) Edit(ctx context.Context, actor, id string, revision, headline *string, text string, check CheckFunc) ([]copywriter.Variant, []shop.UserError, error) {
	text = strings.TrimSpace(text)
	if ue := checkText([]string{"text"}, text, MaxTextLen, true); ue != nil {
		return nil, []shop.UserError{*ue}, nil
	}
	if headline != nil {
		h := strings.TrimSpace(*headline)
		if ue := checkText([]string{"headline"}, h, MaxHeadlineLen, false); ue != nil {
			return nil, []shop.UserError{*ue}, nil
		}
		headline = &h
	}
	var revisions []string
	if revision != nil {
		revisions = []string{*revision}
	}
	var checkErr error
	vs, ues, err := s.decide(ctx, actor, []string{id}, revisions, "edit", nil, func(_ int, r *Record) *shop.UserError {
		v := r.Variant()
		v.Text = text
		if headline != nil {
			v.Headline = *headline
		}
		cs, err := check(ctx, r, v)
		if err != nil {
			// Abort the decision: nothing is written, not even the
			// audit entry of an edit that did not happen.
			checkErr = err
			return &shop.UserError{}
		}
		r.Headline, r.Text, r.Checks, r.Edited = v.Headline, v.Text, cs, true
		r.Status, r.RejectReason = copywriter.StatusPending, ""
		return nil
	})
	if checkErr != nil {
		return nil, nil, checkErr
	}
	for i := range ues {
		switch {
		case len(ues[i].Field) > 0 && ues[i].Field[0] == "ids":
			ues[i].Field = []string{"id"}
		case len(ues[i].Field) > 0 && ues[i].Field[0] == "revisions":
			ues[i].Field = []string{"revision"}
		}
	}
	return vs, ues, err
}

func failing(cs []copywriter.Check) string {
	var names []string
	for _, c := range cs {
		if !c.Passed {
			names = append(names, c.Name+": "+c.Detail)
		}
	}
	if len(names) == 0 {
		return "no checks"
	}
	return strings.Join(names, "; ")
}

// checkText validates free text an admin types.
func checkText(field []string, s string, max int, required bool) *shop.UserError {
	switch {
	case s == "" && required:
		return &shop.UserError{Field: field, Code: shop.CodeRequired, Message: "must not be empty"}
	case !utf8.ValidString(s):
		return &shop.UserError{Field: field, Code: shop.CodeInvalid, Message: "must be valid UTF-8"}
	case utf8.RuneCountInString(s) > max:
		return &shop.UserError{Field: field, Code: shop.CodeTooLong, Message: fmt.Sprintf("must be at most %d characters", max)}
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return &shop.UserError{Field: field, Code: shop.CodeInvalid, Message: "must not contain control characters"}
	}
	return nil
}

// decide validates every ID, applies change to each record and writes the
// records and their audit entries in one transaction; any userError and
// nothing is written. revisions, when given (one per ID), are the
// revisions of the words the reviewer read: a record whose words changed
// since (edited, or registered afresh after an erasure) is a CONFLICT, so
// a decision never applies to words nobody read. Without them the current
// words are decided (as before revisions existed).
func (s *Service) decide(ctx context.Context, actor string, ids, revisions []string, action string, reason *string, change func(i int, r *Record) *shop.UserError) ([]copywriter.Variant, []shop.UserError, error) {
	if len(ids) == 0 {
		return nil, []shop.UserError{{Field: []string{"ids"}, Code: shop.CodeRequired, Message: "give at least one variant ID"}}, nil
	}
	if len(ids) > MaxIDs {
		return nil, []shop.UserError{{Field: []string{"ids"}, Code: shop.CodeTooLarge, Message: fmt.Sprintf("at most %d variants at once", MaxIDs)}}, nil
	}
	if revisions != nil && len(revisions) != len(ids) {
		return nil, []shop.UserError{{Field: []string{"revisions"}, Code: shop.CodeInvalid,
			Message: fmt.Sprintf("give one revision per ID (%d IDs, %d revisions), or none", len(ids), len(revisions))}}, nil
	}
	// A revision no variant can have is a mistake, not a change since:
	// INVALID, and the message does not echo it (it may be megabytes).
	var bad []shop.UserError
	for i, rev := range revisions {
		if !wellFormedRevision(rev) {
			bad = append(bad, shop.UserError{Field: []string{"revisions", strconv.Itoa(i)}, Code: shop.CodeInvalid,
				Message: fmt.Sprintf("a revision is %d hexadecimal digits, as CopyVariant.revision gives it", revisionLen)})
		}
	}
	if len(bad) > 0 {
		return nil, bad, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := range store.MaxSwapAttempts {
		// Decisions across replicas take turns through the guard blob:
		// each reads its records after the guard and writes them only if
		// no other decision was written since, so none is lost (an edit
		// overwritten by an approval of the words before it).
		_, version, err := s.st.GetBlobVersion(ctx, Namespace, keyDecided)
		if err != nil {
			return nil, nil, err
		}
		out, blobs, ues, err := s.prepare(ctx, actor, ids, revisions, action, reason, change)
		if err != nil || len(ues) > 0 {
			return nil, ues, err
		}
		ok, err := s.st.PutBlobIf(ctx, Namespace, keyDecided, []byte(s.now().UTC().Format(time.RFC3339Nano)), version, blobs...)
		if err != nil {
			return nil, nil, fmt.Errorf("%s copy: %w", action, err)
		}
		if ok {
			return out, nil, nil
		}
		if err := store.SwapBackoff(ctx, attempt); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("%s copy: %w", action, store.ErrContended)
}

// keyDecided is the guard blob decisions swap (it holds the time of the
// last one).
const keyDecided = "decided"

// prepare reads the records, checks them against the revisions the
// reviewer read, applies change and returns the variants, and the records
// and audit entries to write. Under the guard blob's turn, the check is
// exact across replicas: words changed after it make the swap fail and
// the whole decision is read and checked again.
func (s *Service) prepare(ctx context.Context, actor string, ids, revisions []string, action string, reason *string, change func(i int, r *Record) *shop.UserError) ([]copywriter.Variant, []store.Blob, []shop.UserError, error) {
	var ues []shop.UserError
	var recs []*Record
	var befores []*Snapshot
	// current is the revision of each record read, before its change.
	current := map[string]string{}
	seen := map[string]bool{}
	stale := func(i int, id string) *shop.UserError {
		if revisions == nil || revisions[i] == current[id] {
			return nil
		}
		return &shop.UserError{Field: []string{"revisions", strconv.Itoa(i)}, Code: shop.CodeConflict,
			Message: fmt.Sprintf("variant %q changed since it was read (revision %q, now %q); reload it and decide again", id, revisions[i], current[id])}
	}
	for i, id := range ids {
		field := []string{"ids", strconv.Itoa(i)}
		if code, msg := shop.ValidateID(id); code != "" {
			ues = append(ues, shop.UserError{Field: field, Code: code, Message: msg})
			continue
		}
		if seen[id] {
			if _, found := current[id]; found {
				if ue := stale(i, id); ue != nil {
					ues = append(ues, *ue)
				}
			}
			continue
		}
		seen[id] = true
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, nil, nil, err
		}
		if r == nil {
			ues = append(ues, shop.UserError{Field: field, Code: shop.CodeNotFound, Message: fmt.Sprintf("no copy variant %q under review", id)})
			continue
		}
		current[id] = r.Revision()
		if ue := stale(i, id); ue != nil {
			ues = append(ues, *ue)
			continue
		}
		before := r.snapshot()
		if ue := change(i, r); ue != nil {
			ues = append(ues, *ue)
			continue
		}
		recs, befores = append(recs, r), append(befores, before)
	}
	if len(ues) > 0 {
		return nil, nil, ues, nil
	}
	now := s.now().UTC()
	var blobs []store.Blob
	out := make([]copywriter.Variant, len(recs))
	for i, r := range recs {
		r.ReviewedBy, r.ReviewedAt = actor, now
		b, err := json.Marshal(r)
		if err != nil {
			return nil, nil, nil, err
		}
		d := Decision{VariantID: r.VariantID, Action: action, Actor: actor, At: now, Before: befores[i], After: r.snapshot(), Reason: reason}
		db, err := json.Marshal(d)
		if err != nil {
			return nil, nil, nil, err
		}
		k := auditKey(now)
		blobs = append(blobs, store.Blob{Key: recordKey(r.VariantID), Value: b},
			store.Blob{Key: "a/all/" + k, Value: db}, store.Blob{Key: "a/v/" + r.VariantID + "/" + k, Value: db})
		out[i] = r.Variant()
	}
	return out, blobs, nil, nil
}

// auditSeq orders this process's entries of one instant.
var auditSeq atomic.Int64

// auditKey sorts newest first: the time subtracted from a large 19-digit
// number, then this process's sequence likewise (two decisions in one clock
// tick), then random bytes so two replicas' entries never collide.
func auditKey(t time.Time) string {
	var rb [4]byte
	_, _ = rand.Read(rb[:])
	return fmt.Sprintf("%019d-%012d-%s", int64(9_000_000_000_000_000_000)-t.UnixNano(), 999_999_999_999-auditSeq.Add(1)%999_999_999_999,
		hex.EncodeToString(rb[:]))
}

// ErrBadCursor is an audit cursor that is not one.
var ErrBadCursor = errors.New("invalid cursor")

// Audit returns up to first decisions, newest first, of one variant or all,
// after the cursor key, and whether more follow.
func (s *Service) Audit(ctx context.Context, variantID string, first int, after string) ([]Decision, bool, error) {
	prefix := "a/all/"
	if variantID != "" {
		prefix = "a/v/" + variantID + "/"
	}
	if after != "" {
		if strings.Contains(after, "/") {
			return nil, false, ErrBadCursor
		}
		after = prefix + after
	}
	page, more, err := s.st.ListBlobs(ctx, Namespace, prefix, after, first)
	if err != nil {
		return nil, false, err
	}
	out := make([]Decision, 0, len(page))
	for _, b := range page {
		var d Decision
		if err := json.Unmarshal(b.Value, &d); err != nil {
			return nil, false, fmt.Errorf("audit entry %s: %w", b.Key, err)
		}
		d.Key = strings.TrimPrefix(b.Key, prefix)
		out = append(out, d)
	}
	return out, more, nil
}

// Connections of the admin API (pagination's one Relay connection).
type (
	VariantConnection  = pagination.Connection[copywriter.Variant]
	VariantEdge        = pagination.Edge[copywriter.Variant]
	DecisionConnection = pagination.Connection[Decision]
	DecisionEdge       = pagination.Edge[Decision]
)

// Cursor kinds.
const (
	KindVariant  = "cv"
	KindDecision = "ra"
)
