// Command webmetric runs Argo Rollouts' own web metric provider against a live AegisSLO server,
// with the metrics of an AnalysisTemplate file (examples/argo-rollouts/analysis-template.yaml).
//
// It does what the analysis controller does for one measurement of each metric, with Argo's own
// code at the version go.mod pins: merge the run's args into the template's
// (utils/analysis.MergeArgs), validate and resolve the metric (ValidateMetric,
// ResolveMetricArgs), build the provider as metricproviders.ProviderFactory does for "Web"
// (NewWebMetricHttpClient, NewWebMetricJsonParser, NewWebMetricProvider) and Run it. Each
// measurement is printed as one JSON line for tests/examples/test_argo_rollouts.py:
//
//	{"sloID": "api-availability", "metric": "aegis-gate", "phase": "Successful", "value": "\"ALLOW\"", "message": ""}
//
// With -rollout FILE it first reads that Rollout with Argo's types and checks that every
// analysis step naming the template passes args that resolve against it, printing one line per
// step: {"rolloutStep": 0, "template": "aegis-gate", "args": ["slo-id"]}.
//
// Usage: webmetric -template FILE [-rollout FILE] -url AEGIS_REST_URL SLO_ID...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	log "github.com/sirupsen/logrus"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-rollouts/metricproviders/webmetric"
	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	analysisutil "github.com/argoproj/argo-rollouts/utils/analysis"
)

type result struct {
	SloID   string `json:"sloID"`
	Metric  string `json:"metric"`
	Phase   string `json:"phase"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

func main() {
	templatePath := flag.String("template", "", "AnalysisTemplate YAML file")
	url := flag.String("url", "", "the AegisSLO server's REST base URL, passed as the aegis-url arg")
	rolloutPath := flag.String("rollout", "", "a Rollout YAML file whose analysis steps use the template")
	flag.Parse()
	if *templatePath == "" || *url == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: webmetric -template FILE -url URL SLO_ID...")
		os.Exit(2)
	}
	template, err := readTemplate(*templatePath)
	if err != nil {
		fail(err)
	}
	if err := analysisutil.ValidateMetrics(template.Spec.Metrics); err != nil {
		fail(fmt.Errorf("%s: %w", *templatePath, err))
	}
	out := json.NewEncoder(os.Stdout)
	if *rolloutPath != "" {
		if err := checkRollout(*rolloutPath, template, out); err != nil {
			fail(err)
		}
	}
	for _, sloID := range flag.Args() {
		for _, metric := range template.Spec.Metrics {
			measured, err := measure(template, metric, sloID, *url)
			if err != nil {
				fail(err)
			}
			if err := out.Encode(measured); err != nil {
				fail(err)
			}
		}
	}
}

func readTemplate(path string) (*v1alpha1.AnalysisTemplate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var template v1alpha1.AnalysisTemplate
	if err := yaml.UnmarshalStrict(raw, &template); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if template.Kind != "AnalysisTemplate" {
		return nil, fmt.Errorf("%s: kind is %q, want AnalysisTemplate", path, template.Kind)
	}
	return &template, nil
}

type rolloutStep struct {
	Step     int      `json:"rolloutStep"`
	Template string   `json:"template"`
	Args     []string `json:"args"`
}

// checkRollout reads a Rollout strictly and merges each analysis step's args into the template's,
// as the rollout controller does before it creates the AnalysisRun.
func checkRollout(path string, template *v1alpha1.AnalysisTemplate, out *json.Encoder) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rollout v1alpha1.Rollout
	if err := yaml.UnmarshalStrict(raw, &rollout); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if rollout.Spec.Strategy.Canary == nil {
		return fmt.Errorf("%s: not a canary rollout", path)
	}
	for i, step := range rollout.Spec.Strategy.Canary.Steps {
		if step.Analysis == nil {
			continue
		}
		for _, ref := range step.Analysis.Templates {
			if ref.TemplateName != template.Name {
				return fmt.Errorf("%s: step %d names template %q, not %q", path, i, ref.TemplateName, template.Name)
			}
			incoming := make([]v1alpha1.Argument, 0, len(step.Analysis.Args))
			names := make([]string, 0, len(step.Analysis.Args))
			for _, arg := range step.Analysis.Args {
				value := arg.Value
				incoming = append(incoming, v1alpha1.Argument{Name: arg.Name, Value: &value})
				names = append(names, arg.Name)
			}
			if _, err := analysisutil.MergeArgs(incoming, template.Spec.Args); err != nil {
				return fmt.Errorf("%s: step %d: %w", path, i, err)
			}
			if err := out.Encode(rolloutStep{Step: i, Template: ref.TemplateName, Args: names}); err != nil {
				return err
			}
		}
	}
	return nil
}

// measure takes one measurement of metric for sloID, the way the analysis controller would.
func measure(template *v1alpha1.AnalysisTemplate, metric v1alpha1.Metric, sloID, url string) (result, error) {
	args, err := analysisutil.MergeArgs([]v1alpha1.Argument{
		{Name: "slo-id", Value: &sloID},
		{Name: "aegis-url", Value: &url},
	}, template.Spec.Args)
	if err != nil {
		return result{}, err
	}
	resolved, err := analysisutil.ResolveMetricArgs(metric, args)
	if err != nil {
		return result{}, err
	}
	if resolved.Provider.Web == nil {
		return result{}, fmt.Errorf("metric %s has no web provider", metric.Name)
	}
	client, err := webmetric.NewWebMetricHttpClient(*resolved)
	if err != nil {
		return result{}, err
	}
	parser, err := webmetric.NewWebMetricJsonParser(*resolved)
	if err != nil {
		return result{}, err
	}
	provider := webmetric.NewWebMetricProvider(*log.NewEntry(log.New()), client, parser)
	measurement := provider.Run(&v1alpha1.AnalysisRun{}, *resolved)
	return result{
		SloID:   sloID,
		Metric:  metric.Name,
		Phase:   string(measurement.Phase),
		Value:   measurement.Value,
		Message: measurement.Message,
	}, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "webmetric:", err)
	os.Exit(1)
}
