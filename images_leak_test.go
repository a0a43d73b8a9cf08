package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestVisionModelFailuresDoNotLeakInternals: a vision model that fails
// (an API error carrying its own details, or no answer at all) is a
// userError with a generic message; the provider's words, its address and
// the key it quotes go to the log only (issue 15: clients get a code and
// a request ID).
func TestVisionModelFailuresDoNotLeakInternals(t *testing.T) {
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error": {"message": "Incorrect API key provided: sk-live-SECRET-0000. upstream 10.9.8.7:8443", "type": "invalid_request_error"}}`))
	}))
	defer model.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	for name, baseURL := range map[string]string{"api error": model.URL + "/v1", "unreachable": goneURL + "/v1"} {
		t.Run(name, func(t *testing.T) {
			base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir(), "SHOPMUSE_DEMO": "off",
				"SHOPMUSE_API_KEYS": "adm-1:admin", "SHOPMUSE_VISION_LLM": "openai", "SHOPMUSE_VISION_LLM_MODEL": "m",
				"OPENAI_BASE_URL": baseURL, "OPENAI_API_KEY": "sk-live-SECRET-0000"})
			defer stop()
			postAs(t, base, "adm-1", `mutation { upsertProducts(input: [{id: "bag", title: "帆布托特包", category: "箱包", price: {amount: "129.00"}}]) { userErrors { code } } }`, nil, nil)
			var ex struct {
				ExtractImageFacts struct {
					Facts      []struct{ ID string }
					UserErrors []struct{ Code, Message string }
				}
			}
			postAs(t, base, "adm-1", `mutation($b: String!) { extractImageFacts(productID: "bag", image: $b) { facts { id } userErrors { code message } } }`,
				map[string]any{"b": base64.StdEncoding.EncodeToString(testPNG)}, &ex)
			ues := ex.ExtractImageFacts.UserErrors
			if len(ues) != 1 || len(ex.ExtractImageFacts.Facts) != 0 {
				t.Fatalf("want one userError: %+v", ex.ExtractImageFacts)
			}
			host := strings.TrimPrefix(strings.TrimSuffix(baseURL, "/v1"), "http://")
			for _, secret := range []string{"sk-live", "10.9.8.7", host, "Incorrect API key", "dial tcp", "status code"} {
				if strings.Contains(ues[0].Message, secret) {
					t.Errorf("the userError leaks %q: %s", secret, ues[0].Message)
				}
			}
		})
	}
}
