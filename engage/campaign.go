package engage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Campaign statuses.
const (
	StatusQueued    = "QUEUED"
	StatusRunning   = "RUNNING"
	StatusCompleted = "COMPLETED"
	StatusFailed    = "FAILED"
)

// Limits of one campaign.
const (
	MaxProductsPerUser = 10
	MaxCampaignUsers   = 100_000
	MaxCampaignName    = 100
)

// Campaigns live in blobs: campaign/c/<id> is the campaign, and
// campaign/m/<id>/<userID> one message, so messages page in user order.
const (
	campaignNS = "campaign"
	keyCamp    = "c/"
	keyMsg     = "m/"
)

// Segment selects users by declared profile; every given part must match.
type Segment struct {
	// Interests: the user declares at least one of them (compared by
	// canonical interest, so 拍照 matches photography).
	Interests []string     `json:"interests,omitempty"`
	MinAge    *int         `json:"minAge,omitempty"`
	MaxAge    *int         `json:"maxAge,omitempty"`
	Gender    *shop.Gender `json:"gender,omitempty"`
}

// CampaignInput asks for a campaign: explicit users or a segment.
type CampaignInput struct {
	Name            string             `json:"name,omitempty"`
	Channel         copywriter.Channel `json:"channel"`
	UserIDs         []string           `json:"userIDs,omitempty"`
	Segment         *Segment           `json:"segment,omitempty"`
	ProductsPerUser int                `json:"productsPerUser"`
	Language        *shop.Language     `json:"language,omitempty"`
}

// Campaign is a campaign's state.
type Campaign struct {
	ID         string        `json:"id"`
	Input      CampaignInput `json:"input"`
	Status     string        `json:"status"`
	Total      int           `json:"total"` // users targeted
	Done       int           `json:"done"`  // users handled
	Messages   int           `json:"messages"`
	Skipped    int           `json:"skipped"` // users with nothing to recommend
	Error      string        `json:"error,omitempty"`
	CreatedAt  time.Time     `json:"createdAt"`
	StartedAt  *time.Time    `json:"startedAt,omitempty"`
	FinishedAt *time.Time    `json:"finishedAt,omitempty"`
}

// MessageConnection and MessageEdge page through a campaign's messages.
type (
	MessageConnection = pagination.Connection[Message]
	MessageEdge       = pagination.Edge[Message]
)

// Message is what one user receives.
type Message struct {
	CampaignID string             `json:"campaignID"`
	UserID     string             `json:"userID"`
	Channel    copywriter.Channel `json:"channel"`
	Language   shop.Language      `json:"language"`
	Items      []MessageItem      `json:"items"`
	CreatedAt  time.Time          `json:"createdAt"`
}

// MessageItem is one recommended product with the copy chosen for the user.
type MessageItem struct {
	ProductID string             `json:"productID"`
	Score     float64            `json:"score"`
	Reasons   []recommend.Reason `json:"reasons"`
	Copy      copywriter.Variant `json:"copy"`
}

type campaignRunner struct {
	mu       sync.Mutex
	watchers map[string][]chan Campaign
	running  map[string]bool

	// writeMu orders message writes against erasures: an erasure marks the
	// user in erased, then deletes their stored messages; a batch is
	// filtered against erased and written under the same lock, so a
	// message is either written before the deletion or never.
	writeMu sync.Mutex
	erased  map[string]bool
}

func (r *campaignRunner) init() {
	r.watchers = map[string][]chan Campaign{}
	r.running = map[string]bool{}
	r.erased = map[string]bool{}
}

// EraseUser removes a user's campaign messages (with their reasons and
// copy) from every campaign, and makes running campaigns skip the user.
func (s *Service) EraseUser(ctx context.Context, userID string) error {
	s.campaigns.writeMu.Lock()
	defer s.campaigns.writeMu.Unlock()
	// Kept for the process's life: a campaign that loaded its users before
	// the erasure may reach this one at any later time. After a restart
	// the store no longer has the user to target.
	s.campaigns.erased[userID] = true
	after := ""
	for {
		blobs, more, err := s.st.ListBlobs(ctx, campaignNS, keyCamp, after, 100)
		if err != nil {
			return fmt.Errorf("erase %s from campaigns: %w", userID, err)
		}
		for _, b := range blobs {
			after = b.Key
			id := strings.TrimPrefix(b.Key, keyCamp)
			if err := s.st.DeleteBlob(ctx, campaignNS, keyMsg+id+"/"+userID); err != nil {
				return fmt.Errorf("erase %s from campaign %s: %w", userID, id, err)
			}
		}
		if !more {
			return nil
		}
	}
}

// writeMessages stores a batch of messages, dropping erased users'.
func (s *Service) writeMessages(ctx context.Context, batch []store.Blob) (dropped int, err error) {
	s.campaigns.writeMu.Lock()
	defer s.campaigns.writeMu.Unlock()
	kept := batch[:0]
	for _, b := range batch {
		// m/<campaign ID>/<user ID>; campaign IDs have no slash, user IDs may.
		_, user, _ := strings.Cut(strings.TrimPrefix(b.Key, keyMsg), "/")
		if s.campaigns.erased[user] {
			dropped++
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) == 0 {
		return dropped, nil
	}
	return dropped, s.st.PutBlobs(ctx, campaignNS, kept)
}

func (s *Service) isErased(userID string) bool {
	s.campaigns.writeMu.Lock()
	defer s.campaigns.writeMu.Unlock()
	return s.campaigns.erased[userID]
}

// validate checks a campaign input; errors name fields under "input".
func validateCampaign(in *CampaignInput) []shop.UserError {
	var errs []shop.UserError
	bad := func(code shop.ErrorCode, msg string, field ...string) {
		errs = append(errs, shop.UserError{Field: append([]string{"input"}, field...), Message: msg, Code: code})
	}
	in.Name = strings.TrimSpace(in.Name)
	if len([]rune(in.Name)) > MaxCampaignName {
		bad(shop.CodeTooLong, fmt.Sprintf("at most %d characters", MaxCampaignName), "name")
	}
	if in.Channel != copywriter.ChannelPush && in.Channel != copywriter.ChannelEmail {
		bad(shop.CodeInvalid, "a campaign goes out by PUSH or EMAIL", "channel")
	}
	if in.ProductsPerUser == 0 {
		in.ProductsPerUser = 3
	}
	if in.ProductsPerUser < 1 || in.ProductsPerUser > MaxProductsPerUser {
		bad(shop.CodeInvalid, fmt.Sprintf("must be between 1 and %d", MaxProductsPerUser), "productsPerUser")
	}
	switch {
	case len(in.UserIDs) == 0 && in.Segment == nil:
		bad(shop.CodeRequired, "give userIDs or a segment", "userIDs")
	case len(in.UserIDs) > 0 && in.Segment != nil:
		bad(shop.CodeInvalid, "give userIDs or a segment, not both", "segment")
	}
	if len(in.UserIDs) > shop.MaxBatch {
		bad(shop.CodeTooLarge, fmt.Sprintf("at most %d users; use a segment for more", shop.MaxBatch), "userIDs")
	}
	for i, id := range in.UserIDs {
		if code, msg := shop.ValidateID(id); code != "" {
			bad(code, msg, "userIDs", strconv.Itoa(i))
		}
	}
	if sg := in.Segment; sg != nil {
		if len(sg.Interests) > shop.MaxInterests {
			bad(shop.CodeTooLarge, fmt.Sprintf("at most %d interests", shop.MaxInterests), "segment", "interests")
		}
		for _, a := range []*int{sg.MinAge, sg.MaxAge} {
			if a != nil && (*a < 0 || *a > shop.MaxAge) {
				bad(shop.CodeInvalid, fmt.Sprintf("ages lie between 0 and %d", shop.MaxAge), "segment")
			}
		}
		if sg.MinAge != nil && sg.MaxAge != nil && *sg.MinAge > *sg.MaxAge {
			bad(shop.CodeInvalid, "minAge is above maxAge", "segment", "minAge")
		}
		if sg.Gender != nil && !sg.Gender.Valid() {
			bad(shop.CodeInvalid, "must be FEMALE, MALE or OTHER", "segment", "gender")
		}
	}
	return errs
}

// matches reports whether a user falls in the segment.
func (sg *Segment) matches(u *shop.User) bool {
	if sg.Gender != nil && (u.Gender == nil || *u.Gender != *sg.Gender) {
		return false
	}
	if (sg.MinAge != nil || sg.MaxAge != nil) && u.Age == nil {
		return false
	}
	if sg.MinAge != nil && *u.Age < *sg.MinAge {
		return false
	}
	if sg.MaxAge != nil && *u.Age > *sg.MaxAge {
		return false
	}
	if len(sg.Interests) == 0 {
		return true
	}
	for _, want := range sg.Interests {
		wk := persona.NormalizeInterest(want)
		for _, have := range u.Interests {
			if strings.EqualFold(have, want) || (wk != "" && persona.NormalizeInterest(have) == wk) {
				return true
			}
		}
	}
	return false
}

// CreateCampaign validates the input, stores the campaign and starts it in
// the background. Unknown userIDs are NOT_FOUND errors and nothing starts.
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (*Campaign, []shop.UserError, error) {
	if errs := validateCampaign(&in); len(errs) > 0 {
		return nil, errs, nil
	}
	if len(in.UserIDs) > 0 {
		found, err := s.st.Exist(ctx, false, in.UserIDs)
		if err != nil {
			return nil, nil, err
		}
		var errs []shop.UserError
		for i, ok := range found {
			if !ok {
				errs = append(errs, shop.UserError{Field: []string{"input", "userIDs", strconv.Itoa(i)},
					Message: fmt.Sprintf("no user with id %q", in.UserIDs[i]), Code: shop.CodeNotFound})
			}
		}
		if errs != nil {
			return nil, errs, nil
		}
	}
	var b [8]byte
	rand.Read(b[:])
	c := &Campaign{ID: "cmp_" + hex.EncodeToString(b[:]), Input: in, Status: StatusQueued, CreatedAt: time.Now().UTC()}
	if err := s.saveCampaign(ctx, c); err != nil {
		return nil, nil, err
	}
	snap := *c // the runner owns c from here on
	s.start(c)
	return &snap, nil, nil
}

func (s *Service) saveCampaign(ctx context.Context, c *Campaign) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.st.PutBlob(ctx, campaignNS, keyCamp+c.ID, b)
}

// Campaign returns a campaign, or nil.
func (s *Service) Campaign(ctx context.Context, id string) (*Campaign, error) {
	b, ok, err := s.st.GetBlob(ctx, campaignNS, keyCamp+id)
	if err != nil || !ok {
		return nil, err
	}
	var c Campaign
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode campaign %s: %w", id, err)
	}
	return &c, nil
}

// Messages pages through a campaign's messages in user ID order.
func (s *Service) Messages(ctx context.Context, id string, first int, afterUser string) ([]Message, bool, error) {
	prefix := keyMsg + id + "/"
	after := ""
	if afterUser != "" {
		after = prefix + afterUser
	}
	blobs, more, err := s.st.ListBlobs(ctx, campaignNS, prefix, after, first)
	if err != nil {
		return nil, false, err
	}
	out := make([]Message, len(blobs))
	for i, b := range blobs {
		if err := json.Unmarshal(b.Value, &out[i]); err != nil {
			return nil, false, fmt.Errorf("decode message: %w", err)
		}
		// Messages written before variants said what they were for.
		m := &out[i]
		for j := range m.Items {
			if c := &m.Items[j].Copy; c.ProductID == "" {
				c.ProductID, c.Channel, c.Language = m.Items[j].ProductID, m.Channel, m.Language
			}
		}
	}
	return out, more, nil
}

// Export writes every message of a campaign as JSON lines.
func (s *Service) Export(ctx context.Context, id string, w io.Writer) (int, error) {
	n, after := 0, ""
	enc := json.NewEncoder(w)
	for {
		msgs, more, err := s.Messages(ctx, id, 500, after)
		if err != nil {
			return n, err
		}
		for _, m := range msgs {
			if err := enc.Encode(m); err != nil {
				return n, err
			}
			n++
			after = m.UserID
		}
		if !more {
			return n, nil
		}
	}
}

// Watch streams a campaign's state on every change of progress until it
// finishes or ctx ends. The current state comes first.
func (s *Service) Watch(ctx context.Context, id string) (<-chan Campaign, error) {
	// Reading the state and registering happen under the lock publish
	// takes, so no update can fall between them.
	s.campaigns.mu.Lock()
	c, err := s.Campaign(ctx, id)
	if err != nil || c == nil {
		s.campaigns.mu.Unlock()
		return nil, err
	}
	ch := make(chan Campaign, 8)
	ch <- *c // the buffer is empty: this cannot block
	finished := c.Status == StatusCompleted || c.Status == StatusFailed
	if finished {
		close(ch)
	} else {
		s.campaigns.watchers[id] = append(s.campaigns.watchers[id], ch)
	}
	s.campaigns.mu.Unlock()
	if finished {
		return ch, nil
	}
	go func() {
		<-ctx.Done()
		s.campaigns.mu.Lock()
		defer s.campaigns.mu.Unlock()
		ws := s.campaigns.watchers[id]
		for i, w := range ws {
			if w == ch {
				s.campaigns.watchers[id] = append(ws[:i], ws[i+1:]...)
				close(ch)
				return
			}
		}
	}()
	return ch, nil
}

// publish sends the state to watchers (dropping an update for a watcher that
// lags: the next one carries the newer progress) and closes them at the end.
func (s *Service) publish(c Campaign) {
	s.campaigns.mu.Lock()
	defer s.campaigns.mu.Unlock()
	done := c.Status == StatusCompleted || c.Status == StatusFailed
	for _, w := range s.campaigns.watchers[c.ID] {
		if done {
			// The final state must arrive: make room by dropping the oldest
			// update if the watcher lags (only publish sends, under the lock).
			select {
			case w <- c:
			default:
				select {
				case <-w:
				default:
				}
				w <- c
			}
			close(w)
			continue
		}
		select {
		case w <- c:
		default:
		}
	}
	if done {
		delete(s.campaigns.watchers, c.ID)
	}
}

// resumeCampaigns restarts campaigns a previous process left unfinished;
// users that already have a message are skipped.
func (s *Service) resumeCampaigns(ctx context.Context) {
	after := ""
	for {
		blobs, more, err := s.st.ListBlobs(ctx, campaignNS, keyCamp, after, 100)
		if err != nil {
			s.log.Error("list campaigns", "err", err)
			return
		}
		for _, b := range blobs {
			after = b.Key
			var c Campaign
			if json.Unmarshal(b.Value, &c) != nil {
				continue
			}
			if c.Status == StatusQueued || c.Status == StatusRunning {
				s.log.Info("resuming campaign", "id", c.ID, "done", c.Done, "total", c.Total)
				s.start(&c)
			}
		}
		if !more {
			return
		}
	}
}

// start runs a campaign in the background, for the service's lifetime: a
// request that created it may end long before the campaign does.
func (s *Service) start(c *Campaign) {
	ctx := s.life
	s.campaigns.mu.Lock()
	if s.campaigns.running[c.ID] {
		s.campaigns.mu.Unlock()
		return
	}
	s.campaigns.running[c.ID] = true
	s.campaigns.mu.Unlock()
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		defer func() {
			s.campaigns.mu.Lock()
			delete(s.campaigns.running, c.ID)
			s.campaigns.mu.Unlock()
		}()
		err := s.run(ctx, c)
		if err != nil && ctx.Err() != nil {
			// Shutting down: the campaign stays RUNNING and resumes at the
			// next start, skipping users that already have their message.
			s.log.Info("campaign paused for shutdown", "id", c.ID, "done", c.Done, "total", c.Total)
			return
		}
		if err != nil {
			c.Status, c.Error = StatusFailed, err.Error()
			now := time.Now().UTC()
			c.FinishedAt = &now
			if err := s.saveCampaign(context.WithoutCancel(ctx), c); err != nil {
				s.log.Error("save campaign", "id", c.ID, "err", err)
			}
			s.publish(*c)
			s.log.Error("campaign failed", "id", c.ID, "err", err)
		}
	}()
}

// campaignBatch is how many users' messages are written per transaction.
const campaignBatch = 50

// run writes every targeted user's message, saving progress per batch.
func (s *Service) run(ctx context.Context, c *Campaign) error {
	users, err := s.targets(ctx, &c.Input)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if c.StartedAt == nil {
		c.StartedAt = &now
	}
	c.Status, c.Total = StatusRunning, len(users)
	done := map[string]bool{}
	existing, _, err := s.messageUsers(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, id := range existing {
		done[id] = true
	}
	c.Done, c.Messages, c.Skipped = 0, len(existing), 0
	for _, u := range users {
		if done[u.ID] {
			c.Done++
		}
	}
	if err := s.saveCampaign(ctx, c); err != nil {
		return err
	}
	s.publish(*c)
	var batch []store.Blob
	flush := func() error {
		if len(batch) > 0 {
			dropped, err := s.writeMessages(ctx, batch)
			if err != nil {
				return err
			}
			c.Messages -= dropped
			c.Skipped += dropped
			batch = batch[:0]
		}
		if err := s.saveCampaign(ctx, c); err != nil {
			return err
		}
		s.publish(*c)
		return nil
	}
	for _, u := range users {
		if done[u.ID] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.isErased(u.ID) {
			// Erased since the campaign loaded its users.
			c.Done++
			c.Skipped++
			continue
		}
		msg, err := s.message(ctx, c, u)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.ID, err)
		}
		c.Done++
		if len(msg.Items) == 0 {
			c.Skipped++
		} else {
			b, err := json.Marshal(msg)
			if err != nil {
				return err
			}
			batch = append(batch, store.Blob{Key: keyMsg + c.ID + "/" + u.ID, Value: b})
			c.Messages++
		}
		if len(batch) >= campaignBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	end := time.Now().UTC()
	c.Status, c.FinishedAt = StatusCompleted, &end
	if err := flush(); err != nil {
		return err
	}
	s.log.Info("campaign completed", "id", c.ID, "users", c.Total, "messages", c.Messages,
		"took", end.Sub(*c.StartedAt).Round(time.Millisecond).String())
	return nil
}

func (s *Service) messageUsers(ctx context.Context, id string) ([]string, bool, error) {
	var out []string
	prefix := keyMsg + id + "/"
	after := ""
	for {
		blobs, more, err := s.st.ListBlobs(ctx, campaignNS, prefix, after, 1000)
		if err != nil {
			return nil, false, err
		}
		for _, b := range blobs {
			out = append(out, strings.TrimPrefix(b.Key, prefix))
			after = b.Key
		}
		if !more {
			return out, false, nil
		}
	}
}

// targets lists the campaign's users: the given IDs, or the segment.
func (s *Service) targets(ctx context.Context, in *CampaignInput) ([]*shop.User, error) {
	if len(in.UserIDs) > 0 {
		us, err := s.st.Users(ctx, in.UserIDs)
		if err != nil {
			return nil, err
		}
		out := make([]*shop.User, 0, len(us))
		for _, u := range us {
			if u != nil { // erased since the campaign was created
				out = append(out, u)
			}
		}
		return out, nil
	}
	var out []*shop.User
	err := s.st.EachUser(ctx, func(u *shop.User) error {
		if in.Segment.matches(u) {
			if len(out) == MaxCampaignUsers {
				return fmt.Errorf("the segment has more than %d users", MaxCampaignUsers)
			}
			uc := *u
			out = append(out, &uc)
		}
		return nil
	})
	return out, err
}

// message builds one user's message: their top recommendations, each with
// the copy variant chosen for them.
func (s *Service) message(ctx context.Context, c *Campaign, u *shop.User) (Message, error) {
	// Copy cached for this persona is the user's data: erased with them.
	ctx = store.WithSubject(ctx, u.ID)
	persona, err := s.Persona(ctx, u)
	if err != nil {
		return Message{}, err
	}
	lang := shop.LanguageZH
	if c.Input.Language != nil {
		lang = *c.Input.Language
	} else if text := strings.TrimSpace(u.Name + " " + strings.Join(u.Interests, " ")); text != "" {
		lang = shop.DetectLanguage(text)
	}
	recs, err := s.rec.Recommend(ctx, recommend.Request{UserID: u.ID, N: c.Input.ProductsPerUser,
		Filter: &shop.ProductFilter{AvailableOnly: ptr(true)}, Language: lang})
	if err != nil {
		return Message{}, err
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ItemID
	}
	ps, err := s.st.Products(ctx, ids)
	if err != nil {
		return Message{}, err
	}
	msg := Message{CampaignID: c.ID, UserID: u.ID, Channel: c.Input.Channel, Language: lang, CreatedAt: time.Now().UTC()}
	for i, r := range recs {
		if ps[i] == nil {
			continue
		}
		served, err := s.ServeCopy(ctx, ps[i], persona, c.Input.Channel, &lang)
		if err != nil {
			return Message{}, err
		}
		if !served.Ok() {
			// Nothing approved for this product: it is left out rather
			// than sent with unreviewed copy.
			continue
		}
		msg.Items = append(msg.Items, MessageItem{ProductID: r.ItemID, Score: r.Score, Reasons: r.Reasons, Copy: served.Variant})
	}
	return msg, nil
}

func ptr[T any](v T) *T { return &v }
