package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/payoutd/payoutd/internal/redistest"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"
)

// deployDir is the repository's deploy/ directory.
const deployDir = "../../deploy"

// exportedMetrics are the metric names payoutd serves: its registry built
// as run builds it (over a real Redis holding one queue, so asynq's
// collector reports), plus every collector of payoutd's metrics described
// (a vector without a labelled child yet is not gathered), with histograms'
// series names.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	rdb := redistest.New(t).Client(t)
	if _, err := asynq.NewClientFromRedisClient(rdb).Enqueue(asynq.NewTask("probe", nil), asynq.Queue("probe")); err != nil {
		t.Fatal(err)
	}
	reg, m := newMetrics(asynq.NewInspectorFromRedisClient(rdb))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok {
			continue
		}
		_, histogram := c.(*prometheus.HistogramVec)
		for _, name := range describedNames(c) {
			names[name] = true
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[name+s] = histogram
			}
		}
	}
	return names
}

// describedNames returns the fully-qualified names c describes.
func describedNames(c prometheus.Collector) []string {
	descs := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(descs); close(descs) }()
	var names []string
	for d := range descs {
		names = append(names, regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())[1])
	}
	return names
}

// usedMetrics returns the payoutd_ and asynq_ names in the file.
func usedMetrics(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, file))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\b(?:payoutd|asynq)_[a-z_]+\b`)
	return re.FindAllString(string(b), -1)
}

func TestAlertsAndDashboardUseOnlyExportedMetrics(t *testing.T) {
	names := exportedMetrics(t)
	for _, file := range []string{"prometheus/alerts.yml", "grafana/payoutd.json"} {
		used := usedMetrics(t, file)
		if len(used) < 9 {
			t.Errorf("%s: found %d metric uses; the pattern must be wrong", file, len(used))
		}
		for _, m := range used {
			if !names[m] {
				t.Errorf("%s uses %s, which payoutd does not export", file, m)
			}
		}
	}
}

// knownEnv returns the env tags of Config.
func knownEnv() map[string]bool {
	known := map[string]bool{}
	ty := reflect.TypeOf(Config{})
	for i := range ty.NumField() {
		if name := ty.Field(i).Tag.Get("env"); name != "" {
			known[strings.Split(name, ",")[0]] = true
		}
	}
	return known
}

// deployEnv returns the variables a deploy file sets: compose's
// environment keys, Kubernetes env names and ConfigMap data keys.
func deployEnv(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, file))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	for {
		var doc map[string]any
		if dec.Decode(&doc) != nil {
			return names
		}
		names = append(names, envIn(doc)...)
	}
}

// envIn walks a YAML document for "environment" maps, "env" lists and
// the data of a ConfigMap.
func envIn(doc map[string]any) []string {
	var names []string
	if doc["kind"] == "ConfigMap" {
		for k := range doc["data"].(map[string]any) {
			names = append(names, k)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				names = append(names, envEntries(k, c)...)
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	return names
}

func envEntries(key string, v any) []string {
	var names []string
	switch {
	case key == "environment":
		for k := range v.(map[string]any) {
			names = append(names, k)
		}
	case key == "env":
		for _, e := range v.([]any) {
			names = append(names, e.(map[string]any)["name"].(string))
		}
	}
	return names
}

func TestDeployFilesSetOnlyKnownVariables(t *testing.T) {
	known := knownEnv()
	files := []string{"docker-compose.yml"}
	ks, _ := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	for _, k := range ks {
		files = append(files, filepath.Join("kubernetes", filepath.Base(k)))
	}
	total := 0
	for _, f := range files {
		for _, name := range deployEnv(t, f) {
			total++
			if !known[name] {
				t.Errorf("%s sets %s, which payoutd's Config does not read", f, name)
			}
		}
	}
	if total < 10 {
		t.Errorf("found %d variables in %v; the walk must be wrong", total, files)
	}
}

// TestAlertRules runs promtool's unit tests of the alert rules. Without
// promtool it skips, except in CI (CI set), where it fails.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed (apt-get install prometheus); CI must run the alert tests")
		}
		t.Skip("promtool is not installed (apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Join(deployDir, "prometheus")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestEveryAlertHasItsRunbookLineInTheREADME(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, operating, _ := strings.Cut(string(readme), "\n## Operating it\n")
	operating, _, _ = strings.Cut(operating, "\n## ")
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			line := "- `" + r.Alert + "`: " + r.Annotations["runbook"]
			if r.Annotations["runbook"] == "" || !strings.Contains(operating, line+"\n") {
				t.Errorf("README's Operating it lacks the runbook line of %s:\n%s", r.Alert, line)
			}
		}
	}
	if n < 9 {
		t.Errorf("alerts: got %d want at least 9", n)
	}
}
