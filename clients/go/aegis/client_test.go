// The wrapper's example and end-to-end test, against AEGIS_GRPC_ADDR (skipped when unset);
// tests/clients/test_go_client.py runs it against a live server on the embedded default.
package aegis_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/aegisslo/aegisslo/clients/go/aegis"
	aegisv1 "github.com/aegisslo/aegisslo/clients/go/aegis/v1"
)

func ExampleDial() {
	client, err := aegis.Dial("localhost:50051", aegis.WithAPIKey(os.Getenv("AEGIS_API_KEY")))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	evaluation, err := client.Decide(context.Background(), "api-availability")
	switch {
	case status.Code(err) == codes.NotFound:
		log.Fatalf("no such SLO: %v", err)
	case err != nil:
		log.Fatalf("no decision: %v", err)
	case evaluation.Decision == aegis.Block:
		log.Fatalf("deploy blocked: %s", strings.Join(evaluation.Reasons, "; "))
	}
	fmt.Println(evaluation.Decision)
}

func dial(t *testing.T) *aegis.Client {
	t.Helper()
	addr := os.Getenv("AEGIS_GRPC_ADDR")
	if addr == "" {
		t.Skip("AEGIS_GRPC_ADDR is not set: point it at a running aegis-server's gRPC port")
	}
	client, err := aegis.Dial(addr, aegis.WithTimeout(10*time.Second), aegis.WithAPIKey("k-go-test"))
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestWrapperDecide(t *testing.T) {
	client := dial(t)
	for sloID, want := range map[string]aegis.Decision{
		"api-availability": aegis.Allow, "checkout-fast-burn": aegis.Block, "billing-stale": aegis.Warn,
	} {
		t.Run(sloID, func(t *testing.T) {
			e, err := client.Decide(t.Context(), sloID)
			if err != nil {
				t.Fatalf("Decide(%q): %v", sloID, err)
			}
			if e.Decision != want || e.SLOID != sloID || len(e.Reasons) == 0 || len(e.Rules) == 0 {
				t.Fatalf("Decide(%q) = %s %q (%d rules), want %s", sloID, e.Decision, e.Reasons, len(e.Rules), want)
			}
			if e.SLI == nil || e.Timestamp.IsZero() || e.TTL <= 0 {
				t.Errorf("Decide(%q): missing evidence: sli %v, timestamp %v, ttl %v", sloID, e.SLI, e.Timestamp, e.TTL)
			}
		})
	}
}

func TestWrapperFreshDecideIsANewEvaluation(t *testing.T) {
	client := dial(t)
	cached, err := client.Decide(t.Context(), "api-availability")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := client.Decide(t.Context(), "api-availability", aegis.Fresh())
	if err != nil {
		t.Fatal(err)
	}
	if fresh.EvaluationID == cached.EvaluationID {
		t.Errorf("Fresh() answered from the cache (evaluation %s)", fresh.EvaluationID)
	}
}

func TestWrapperDecideSendsDryRunAndTheDeploymentContext(t *testing.T) {
	client := dial(t)
	id := fmt.Sprintf("go-wrapper-%d", time.Now().UnixNano())
	e, err := client.Decide(t.Context(), "checkout-fast-burn", aegis.DryRun(),
		aegis.WithDeployment(aegis.Deployment{ID: id, Commit: "c0ffee", PipelineURL: "https://ci.example/go", Caller: "gopher"}))
	if err != nil {
		t.Fatal(err)
	}
	if e.Decision != aegis.Allow || !e.DryRun || e.WouldBeDecision != aegis.Block {
		t.Fatalf("dry run answered %s (dry run %v, would be %s), want ALLOW, true, BLOCK", e.Decision, e.DryRun, e.WouldBeDecision)
	}
	// The audit has the request, with the context (read through the generated stubs).
	conn, err := grpc.NewClient(os.Getenv("AEGIS_GRPC_ADDR"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer k-go-test")
	page, err := aegisv1.NewAuditServiceClient(conn).ListAuditRecords(ctx, &aegisv1.ListAuditRecordsRequest{DeploymentId: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.GetRecords()) != 1 {
		t.Fatalf("%d audit records for deployment %s, want 1", len(page.GetRecords()), id)
	}
	request := page.GetRecords()[0].GetGateRequest()
	if request.GetCommit() != "c0ffee" || request.GetPipelineUrl() != "https://ci.example/go" || request.GetCaller() != "gopher" {
		t.Errorf("recorded %v", request)
	}
	if record := page.GetRecords()[0]; record.GetEvaluationId() != e.EvaluationID || !record.GetDryRun() {
		t.Errorf("record %s (dry run %v), want evaluation %s in dry run", record.GetEvaluationId(), record.GetDryRun(), e.EvaluationID)
	}
}

func TestWrapperErrorsKeepTheirStatus(t *testing.T) {
	client := dial(t)
	_, err := client.Decide(t.Context(), "no-such-slo")
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown SLO: code %v (%v), want NotFound", status.Code(err), err)
	}
	_, err = client.Gate(t.Context(), aegis.Target{SLOID: "x", Service: "y"}, false)
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("bad target: code %v, want InvalidArgument", status.Code(err))
	}
}

func TestWrapperGateOnAService(t *testing.T) {
	client := dial(t)
	for _, fresh := range []bool{false, true} {
		verdict, err := client.Gate(t.Context(), aegis.Target{Service: "checkout", Environment: "production"}, fresh)
		if err != nil {
			t.Fatalf("Gate(fresh=%v): %v", fresh, err)
		}
		if verdict.Decision != aegis.Block || verdict.Passed(aegis.Block) || len(verdict.Evaluations) != 1 {
			t.Errorf("Gate(fresh=%v) = %s", fresh, verdict.Summary())
		}
		if !strings.HasPrefix(verdict.Summary(), "BLOCK checkout/production: checkout-fast-burn: BLOCK: rule fast-burn") {
			t.Errorf("Summary() = %q", verdict.Summary())
		}
	}
}

func TestWrapperUnreachableServerIsUnavailable(t *testing.T) {
	client, err := aegis.Dial("127.0.0.1:1", aegis.WithTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.Decide(context.Background(), "api-availability")
	if code := status.Code(err); code != codes.Unavailable {
		t.Errorf("code %v (%v), want Unavailable", code, err)
	}
}
