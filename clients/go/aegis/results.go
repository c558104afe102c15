package aegis

import (
	"strings"
	"time"

	aegisv1 "github.com/aegisslo/aegisslo/clients/go/aegis/v1"
)

// Decision is the gate's answer. The zero value is never sent by the server.
type Decision int

// The decisions, in order of severity.
const (
	Allow Decision = Decision(aegisv1.Decision_ALLOW)
	Warn  Decision = Decision(aegisv1.Decision_WARN)
	Block Decision = Decision(aegisv1.Decision_BLOCK)
)

// String is "ALLOW", "WARN" or "BLOCK", as the REST surface prints it.
func (d Decision) String() string { return aegisv1.Decision(d).String() }

// Worst returns the most severe decision; Allow for none.
func Worst(decisions ...Decision) Decision {
	worst := Allow
	for _, d := range decisions {
		if d > worst {
			worst = d
		}
	}
	return worst
}

// decisionFromProto fails closed: a decision this client does not know is Block.
func decisionFromProto(d aegisv1.Decision) Decision {
	switch d {
	case aegisv1.Decision_ALLOW, aegisv1.Decision_WARN, aegisv1.Decision_BLOCK:
		return Decision(d)
	default:
		return Block
	}
}

// SLI is the SLI over Window (the compliance window, or the longest one with data).
type SLI struct {
	Value, ErrorRate, BudgetRemaining float64
	Window                            string
}

// WindowBurnRate is the burn rate over one window and the threshold of the first rule using it.
type WindowBurnRate struct{ BurnRate, Threshold float64 }

// Rule is one multi-window rule: it fires when both windows burn at or above Threshold.
type Rule struct {
	Name                        string
	ShortWindow, LongWindow     string
	ShortBurnRate, LongBurnRate float64
	Threshold                   float64
	Action                      Decision
	Fired                       bool
	Evaluated                   bool // false when a window lacked trustworthy data
}

// DataFlags say why the data behind a decision may not be trusted.
type DataFlags struct {
	Stale, NoTraffic, MissingData, TooFewDataPoints, Clamped bool
}

// Evaluation is one evaluation of one SLO: the decision and its evidence.
type Evaluation struct {
	EvaluationID, SLOID, Service, Environment string
	Decision                                  Decision
	Reasons                                   []string
	SLI                                       *SLI // nil when no SLI could be computed
	BurnRates                                 map[string]WindowBurnRate
	Rules                                     []Rule
	Flags                                     DataFlags
	Timestamp, DataTimestamp                  time.Time // zero when unknown
	TTL                                       time.Duration
	// DryRun: Decision is Allow whatever the policy decided; that is WouldBeDecision.
	DryRun          bool
	WouldBeDecision Decision // the zero value outside a dry run
}

// Summary is one line: "BLOCK checkout: rule fast-burn fired ...".
func (e *Evaluation) Summary() string {
	return e.Decision.String() + " " + e.SLOID + ": " + strings.Join(e.Reasons, "; ")
}

// ServiceState is every SLO of a service in an environment and the worst of their decisions.
type ServiceState struct {
	Service, Environment string
	Decision             Decision
	Reasons              []string
	Evaluations          []*Evaluation
}

// SLO is what a gate needs to know about a loaded SLO.
type SLO struct {
	ID, Name, Service, Environment string
	Objective                      float64
	Window                         string
}

func evaluationFromProto(m *aegisv1.Evaluation) *Evaluation {
	e := &Evaluation{
		EvaluationID: m.GetEvaluationId(),
		SLOID:        m.GetSloId(),
		Service:      m.GetService(),
		Environment:  m.GetEnvironment(),
		Decision:     decisionFromProto(m.GetDecision()),
		Reasons:      m.GetReasons(),
		BurnRates:    make(map[string]WindowBurnRate, len(m.GetBurnRates())),
		Flags: DataFlags{
			Stale: m.GetIsStale(), NoTraffic: m.GetHasNoTraffic(), MissingData: m.GetHasMissingData(),
			TooFewDataPoints: m.GetHasTooFewDataPoints(), Clamped: m.GetHasClampedData(),
		},
		TTL:    time.Duration(m.GetTtl()) * time.Second,
		DryRun: m.GetDryRun(),
	}
	if m.WouldBeDecision != nil {
		e.WouldBeDecision = decisionFromProto(m.GetWouldBeDecision())
	}
	// The server always sends an SLI; an empty window means no window had data to measure.
	if sli := m.GetSli(); sli != nil && sli.GetWindow() != "" {
		e.SLI = &SLI{sli.GetValue(), sli.GetErrorRate(), sli.GetBudgetRemaining(), sli.GetWindow()}
	}
	for window, burn := range m.GetBurnRates() {
		e.BurnRates[window] = WindowBurnRate{burn.GetBurnRate(), burn.GetThreshold()}
	}
	for _, r := range m.GetRules() {
		e.Rules = append(e.Rules, Rule{
			Name: r.GetName(), ShortWindow: r.GetShortWindow(), LongWindow: r.GetLongWindow(),
			ShortBurnRate: r.GetShortBurnRate(), LongBurnRate: r.GetLongBurnRate(), Threshold: r.GetThreshold(),
			Action: decisionFromProto(r.GetAction()), Fired: r.GetFired(), Evaluated: r.GetEvaluated(),
		})
	}
	if m.GetTimestamp() != nil {
		e.Timestamp = m.GetTimestamp().AsTime()
	}
	if m.GetDataTimestamp() != nil {
		e.DataTimestamp = m.GetDataTimestamp().AsTime()
	}
	return e
}

func serviceStateFromProto(m *aegisv1.GetServiceStateResponse) *ServiceState {
	s := &ServiceState{
		Service: m.GetService(), Environment: m.GetEnvironment(),
		Decision: decisionFromProto(m.GetDecision()), Reasons: m.GetReasons(),
	}
	for _, e := range m.GetEvaluations() {
		s.Evaluations = append(s.Evaluations, evaluationFromProto(e))
	}
	return s
}
