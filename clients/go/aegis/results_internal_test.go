package aegis

import (
	"testing"

	aegisv1 "github.com/aegisslo/aegisslo/clients/go/aegis/v1"
)

// The server sends an SLI with every evaluation; one with an empty window stands for "no window
// had data to measure" and must read as no SLI, not as a measured 0.
func TestEvaluationFromProtoReadsAnEmptyWindowAsNoSLI(t *testing.T) {
	unmeasured := &aegisv1.Evaluation{Sli: &aegisv1.SLISummary{BudgetRemaining: 1}}
	if e := evaluationFromProto(unmeasured); e.SLI != nil {
		t.Errorf("SLI = %+v, want nil for an empty window", e.SLI)
	}
	measured := &aegisv1.Evaluation{Sli: &aegisv1.SLISummary{Value: 0.999, Window: "30d"}}
	if e := evaluationFromProto(measured); e.SLI == nil || e.SLI.Value != 0.999 || e.SLI.Window != "30d" {
		t.Errorf("SLI = %+v, want the measured 0.999 over 30d", e.SLI)
	}
}
