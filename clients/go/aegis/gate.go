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

// Summary is one line: "BLOCK checkout/production: checkout-latency: BLOCK: rule ...".
func (v *Verdict) Summary() string {
	return fmt.Sprintf("%s %s: %s", v.Decision, v.Target, strings.Join(v.Reasons, "; "))
}

// Passed reports whether the verdict lets a deploy through when failOn (Warn or Block) and
// anything worse fail it; Block always fails.
func (v *Verdict) Passed(failOn Decision) bool {
	return v.Decision < min(failOn, Block)
}

// Gate asks for the verdict on target; the worst decision of a service's SLOs wins. With fresh,
// every SLO involved is evaluated now (one Decide per SLO of the service).
func (c *Client) Gate(ctx context.Context, target Target, fresh bool) (*Verdict, error) {
	if err := target.validate(); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	var decideOptions []DecideOption
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
	if !fresh {
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
		if e.Decision != Allow {
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
