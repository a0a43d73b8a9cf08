package resolvers

import (
	"errors"
	"fmt"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopmuse/shopmuse/app"
)

// Train's answers about other replicas reach the client with their codes
// and the replica concerned, also when wrapped; other errors pass as they are.
func TestTrainErrorCodes(t *testing.T) {
	for _, c := range []struct {
		err           error
		code, replica string
	}{
		{&app.TrainsElsewhereError{Replica: "r2"}, CodeTrainsElsewhere, "r2"},
		{fmt.Errorf("save model snapshot: %w", &app.SupersededError{Replica: "r3", Version: "abc"}), CodeTrainingSuperseded, "r3"},
	} {
		var ge *gqlerror.Error
		if !errors.As(trainError(c.err), &ge) || ge.Extensions["code"] != c.code || ge.Extensions["replica"] != c.replica {
			t.Errorf("%v: got %#v, want code %s naming %s", c.err, ge, c.code, c.replica)
		}
	}
	other := errors.New("disk full")
	if got := trainError(other); got != other {
		t.Errorf("another error became %v", got)
	}
}
