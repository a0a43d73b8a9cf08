package copywriter

import (
	"testing"

	"github.com/shopmuse/shopmuse/persona"
)

// TestAudiencesCoverTheVocabulary: every persona interest has copy to
// address its readers, and no copy is written for an interest the persona
// package does not know.
func TestAudiencesCoverTheVocabulary(t *testing.T) {
	for _, in := range persona.Interests {
		au, ok := audiences[in.Key]
		if !ok || len(au.attrs) == 0 || au.zhFor == "" || au.enFor == "" || au.zhScene == "" || au.enScene == "" {
			t.Errorf("interest %s has no complete audience: %+v", in.Key, au)
		}
	}
	for k := range audiences {
		if _, ok := persona.InterestByKey(k); !ok {
			t.Errorf("audience %q is not a persona interest", k)
		}
	}
}
