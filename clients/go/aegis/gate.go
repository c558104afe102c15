package aegis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Target is what a pipeline gates on: one SLO, or every SLO of a service in an environment.
type Target struct {
	SLOID                string
	Service, Environment string
}

// String is the SLO id, or "service/environment".
func (t Target) String() string {
	if t.SLOID != "" {
		return t.SLOID
	}
	return t.Service + "/" + t.Environment
}

func (t Target) validate() error {
	if t.SLOID != "" && (t.Service != "" || t.Environment != "") {
		return errors.New("name an SLO id, or a service and an environment, not both")
	}
	if t.SLOID == "" && (t.Service == "" || t.Environment == "") {
		return errors.New("name an SLO id, or a service and an environment")
	}
	return nil
}

// Verdict is the decision for a Target, why, and the evaluations behind it.
type Verdict struct {
	Target      Target
	Decision    Decision
	Reasons     []string
	Evaluations []*Evaluation
}

// Summary is one line: "BLOCK checkout/production: checkout-latency: BLOCK: rule ...", or in a
// dry run "ALLOW (dry run; would be BLOCK) checkout-availability: ...".
func (v *Verdict) Summary() string {
	decision := v.Decision.String()
	if would, dry := v.WouldBeDecision(); dry {
		decision += fmt.Sprintf(" (dry run; would be %s)", would)
	}
	return fmt.Sprintf("%s %s: %s", decision, v.Target, strings.Join(v.Reasons, "; "))
}

// WouldBeDecision is the worst decision the policies reached, and whether any evaluation was
// answered in dry run (the request's or its SLO's); outside a dry run it is Decision.
func (v *Verdict) WouldBeDecision() (Decision, bool) {
	would, dry := v.Decision, false
	for _, e := range v.Evaluations {
		if e.DryRun {
			dry = true
			would = Worst(would, e.WouldBeDecision)
		}
	}
	return would, dry
}

// Passed reports whether the verdict lets a deploy through when failOn (Warn or Block) and
// anything worse fail it; Block always fails.
func (v *Verdict) Passed(failOn Decision) bool {
	return v.Decision < min(failOn, Block)
}

// Gate asks for the verdict on target; the worst decision of a service's SLOs wins. With fresh,
// every SLO involved is evaluated now (one Decide per SLO of the service); so it is with any
// DecideOption (DryRun, WithDeployment), since those go with Decide.
func (c *Client) Gate(ctx context.Context, target Target, fresh bool, opts ...DecideOption) (*Verdict, error) {
	if err := target.validate(); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	decideOptions := append([]DecideOption(nil), opts...)
	if fresh {
		decideOptions = append(decideOptions, Fresh())
	}
	if target.SLOID != "" {
		e, err := c.Decide(ctx, target.SLOID, decideOptions...)
		if err != nil {
			return nil, err
		}
		return &Verdict{target, e.Decision, e.Reasons, []*Evaluation{e}}, nil
	}
	if len(decideOptions) == 0 {
		s, err := c.ServiceState(ctx, target.Service, target.Environment)
		if err != nil {
			return nil, err
		}
		return &Verdict{target, s.Decision, s.Reasons, s.Evaluations}, nil
	}
	slos, err := c.SLOs(ctx)
	if err != nil {
		return nil, err
	}
	verdict := &Verdict{Target: target, Decision: Allow}
	for _, slo := range slos {
		if slo.Service != target.Service || slo.Environment != target.Environment {
			continue
		}
		e, err := c.Decide(ctx, slo.ID, decideOptions...)
		if err != nil {
			return nil, err
		}
		verdict.Evaluations = append(verdict.Evaluations, e)
		verdict.Decision = Worst(verdict.Decision, e.Decision)
		// An SLO answered Allow in dry run still says what it would have been.
		if e.Decision != Allow || (e.DryRun && e.WouldBeDecision != Allow) {
			verdict.Reasons = append(verdict.Reasons,
				fmt.Sprintf("%s: %s: %s", e.SLOID, e.Decision, strings.Join(e.Reasons, "; ")))
		}
	}
	if len(verdict.Evaluations) == 0 {
		return nil, status.Errorf(codes.NotFound, "no SLO for service %q in environment %q",
			target.Service, target.Environment)
	}
	if len(verdict.Reasons) == 0 {
		verdict.Reasons = []string{"all burn rate checks passed"}
	}
	return verdict, nil
}
