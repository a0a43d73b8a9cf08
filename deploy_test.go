package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// knownEnv is every variable the service reads at start: loadConfig is run
// with a getenv that records what it is asked.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	asked := map[string]bool{}
	// Some variables are read only when another is set (the bus's stream
	// settings with SHOPMUSE_BUS): ask again with those set.
	samples := map[string]string{
		"SHOPMUSE_BUS":   "nats://127.0.0.1:4222",
		"SHOPMUSE_STORE": sampleSecret("SHOPMUSE_STORE"),
	}
	_, _ = loadConfig(func(k string) string { asked[k] = true; return "" })
	_, _ = loadConfig(func(k string) string { asked[k] = true; return samples[k] })
	if len(asked) < 10 {
		t.Fatalf("loadConfig asked for only %d variables: the recorder is broken", len(asked))
	}
	return asked
}

// deployEnv is one variable a manifest sets for a shopmuse container.
type deployEnv struct {
	file, name, value string
}

var composeVar = regexp.MustCompile(`\$\{([A-Z_]+)[^}]*\}`)

// composeEnv reads the environment of every service built from this
// repository or running its image.
func composeEnv(t *testing.T, path string) []deployEnv {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string         `yaml:"image"`
			Build       any            `yaml:"build"`
			Environment map[string]any `yaml:"environment"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []deployEnv
	replicas := 0
	for name, svc := range doc.Services {
		if !strings.HasPrefix(svc.Image, "shopmuse") {
			continue
		}
		replicas++
		if got := strings.Join(svc.Healthcheck.Test, " "); !strings.Contains(got, "/shopmuse probe") || !strings.Contains(got, "/readyz") {
			t.Errorf("%s: service %s health check %q does not probe /readyz", path, name, got)
		}
		for k, v := range svc.Environment {
			s, _ := v.(string)
			// ${VAR:?msg} is set by whoever runs compose: use a sample.
			s = composeVar.ReplaceAllStringFunc(s, func(string) string { return "admin-secret-0123456789:admin" })
			out = append(out, deployEnv{path + " " + name, k, s})
		}
	}
	if replicas < 3 {
		t.Errorf("%s runs %d shopmuse replicas, want 3", path, replicas)
	}
	return out
}

// kubeEnv reads the env of every container whose image is shopmuse's, and
// checks its probes.
func kubeEnv(t *testing.T, path string) []deployEnv {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type probe struct {
		HTTPGet struct {
			Path string `yaml:"path"`
		} `yaml:"httpGet"`
	}
	var out []deployEnv
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Name  string `yaml:"name"`
							Image string `yaml:"image"`
							Env   []struct {
								Name      string `yaml:"name"`
								Value     string `yaml:"value"`
								ValueFrom any    `yaml:"valueFrom"`
							} `yaml:"env"`
							ReadinessProbe probe `yaml:"readinessProbe"`
							LivenessProbe  probe `yaml:"livenessProbe"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, c := range doc.Spec.Template.Spec.Containers {
			if !strings.HasPrefix(c.Image, "shopmuse") {
				continue
			}
			if c.ReadinessProbe.HTTPGet.Path != "/readyz" {
				t.Errorf("%s: container %s readiness probe %q, want /readyz", path, c.Name, c.ReadinessProbe.HTTPGet.Path)
			}
			if c.LivenessProbe.HTTPGet.Path != "/healthz" {
				t.Errorf("%s: container %s liveness probe %q, want /healthz", path, c.Name, c.LivenessProbe.HTTPGet.Path)
			}
			for _, e := range c.Env {
				v := e.Value
				if e.ValueFrom != nil {
					v = sampleSecret(e.Name)
				}
				out = append(out, deployEnv{path + " " + c.Name, e.Name, v})
			}
		}
	}
	return out
}

// sampleSecret stands in for a value a manifest takes from a secret.
func sampleSecret(name string) string {
	switch name {
	case "SHOPMUSE_API_KEYS":
		return "admin-secret-0123456789:admin"
	case "SHOPMUSE_STORE":
		return "postgres://shopmuse:pw@postgres:5432/shopmuse?sslmode=disable"
	case "SHOPMUSE_BUS":
		return "nats://shopmuse:pw@nats-0.nats:4222,nats://shopmuse:pw@nats-1.nats:4222"
	}
	return ""
}

// TestDeployManifestsSetOnlyKnownVariables parses deploy/compose.yaml and
// the Kubernetes manifests: every SHOPMUSE_* variable they set must be one
// the service reads, and together they must make a configuration it accepts.
func TestDeployManifestsSetOnlyKnownVariables(t *testing.T) {
	known := knownEnv(t)
	var all []deployEnv
	all = append(all, composeEnv(t, filepath.Join("deploy", "compose.yaml"))...)
	kube, err := filepath.Glob(filepath.Join("deploy", "k8s", "*.yaml"))
	if err != nil || len(kube) == 0 {
		t.Fatalf("no Kubernetes manifests under deploy/k8s (%v)", err)
	}
	n := 0
	for _, f := range kube {
		env := kubeEnv(t, f)
		n += len(env)
		all = append(all, env...)
	}
	if n == 0 {
		t.Fatal("no shopmuse container found in deploy/k8s")
	}
	byFile := map[string]map[string]string{}
	for _, e := range all {
		if !known[e.name] {
			t.Errorf("%s sets %s, which the service never reads", e.file, e.name)
		}
		if byFile[e.file] == nil {
			byFile[e.file] = map[string]string{}
		}
		byFile[e.file][e.name] = e.value
	}
	// Each deployment's whole environment is a configuration the service
	// starts with (loadConfig validates without connecting anywhere).
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		env := byFile[f]
		for _, want := range []string{"SHOPMUSE_STORE", "SHOPMUSE_BUS", "SHOPMUSE_API_KEYS", "SHOPMUSE_ADDR"} {
			if env[want] == "" {
				t.Errorf("%s does not set %s", f, want)
			}
		}
		if _, err := loadConfig(func(k string) string { return env[k] }); err != nil {
			t.Errorf("%s: the service refuses this configuration: %v", f, err)
		}
	}
}

func TestProbeFailsUnlessReady(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready")
	}))
	defer srv.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"probe", srv.URL}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("probe of a ready server: %v", err)
	}
	ready = false
	err := run(context.Background(), []string{"probe", srv.URL}, func(string) string { return "" }, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("probe of an unready server: err = %v, want a 503 error", err)
	}
}

// The deployments keep the engines a replica trusts to themselves: NATS
// takes a password on every node, passwords are not fixed in the files
// (secrets, or compose variables whose laptop default says to change it),
// the load balancer does not serve /metrics, and none sets
// SHOPMUSE_INSECURE.
func TestDeployIsNotOpen(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join("deploy", p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	compose := read("compose.yaml")
	if n := strings.Count(compose, `"--pass", "${NATS_PASSWORD`); n != 3 {
		t.Errorf("compose: %d of 3 NATS nodes take a password", n)
	}
	if strings.Contains(compose, "POSTGRES_PASSWORD: shopmuse") || strings.Count(compose, "change-me") > 0 && !strings.Contains(compose, "set your\n# own") {
		t.Error("compose: a fixed PostgreSQL password, or a default without saying to change it")
	}
	if !strings.Contains(read("k8s/nats.yaml"), "authorization {") {
		t.Error("k8s: NATS takes no password")
	}
	if strings.Contains(read("k8s/postgres.yaml"), "POSTGRES_PASSWORD, value:") {
		t.Error("k8s: the PostgreSQL password is written in the manifest")
	}
	if !strings.Contains(read("k8s/network.yaml"), "kind: NetworkPolicy") {
		t.Error("k8s: no NetworkPolicy keeps PostgreSQL and NATS to the replicas")
	}
	if !strings.Contains(read("nginx.conf"), "location = /metrics { return 404; }") {
		t.Error("nginx serves /metrics to the public")
	}
	for _, p := range []string{"compose.yaml", "k8s/shopmuse.yaml"} {
		if strings.Contains(read(p), "SHOPMUSE_INSECURE") {
			t.Errorf("%s sets SHOPMUSE_INSECURE", p)
		}
	}
}
