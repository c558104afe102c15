// Package client_test is the Go client's example and its end-to-end test: it talks
// to a running AegisSLO server at AEGIS_GRPC_ADDR ("host:port" of the gRPC port) and
// skips when that is unset, so `go test ./...` stays green without a server.
//
// The expectations match the server's embedded default (fixtures/slo/valid with the
// synthetic adapter): api-availability ALLOW, checkout-fast-burn BLOCK,
// billing-stale WARN. tests/clients/test_go_client.py starts that server and runs this.
package client_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	aegisv1 "github.com/aegisslo/aegisslo/clients/go/aegis/v1"
)

// dial connects to AEGIS_GRPC_ADDR without TLS (the test server listens on loopback).
func dial(t *testing.T) *grpc.ClientConn {
	t.Helper()
	addr := os.Getenv("AEGIS_GRPC_ADDR")
	if addr == "" {
		t.Skip("AEGIS_GRPC_ADDR is not set: point it at a running aegis-server's gRPC port")
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// callContext bounds every RPC so a wedged server fails the test instead of hanging it.
func callContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDecide(t *testing.T) {
	gate := aegisv1.NewGateServiceClient(dial(t))
	cases := []struct {
		sloID    string
		decision aegisv1.Decision
		// Checked only when set.
		reasons []string
		ttl     int32
	}{
		{sloID: "api-availability", decision: aegisv1.Decision_ALLOW,
			reasons: []string{"all burn rate checks passed"}, ttl: 300},
		{sloID: "checkout-fast-burn", decision: aegisv1.Decision_BLOCK},
		{sloID: "billing-stale", decision: aegisv1.Decision_WARN},
	}
	for _, tc := range cases {
		t.Run(tc.sloID, func(t *testing.T) {
			resp, err := gate.Decide(callContext(t), &aegisv1.DecideRequest{SloId: tc.sloID})
			if err != nil {
				t.Fatalf("Decide(%q): %v", tc.sloID, err)
			}
			evaluation := resp.GetEvaluation()
			if got := evaluation.GetSloId(); got != tc.sloID {
				t.Errorf("slo_id = %q, want %q", got, tc.sloID)
			}
			if got := evaluation.GetDecision(); got != tc.decision {
				t.Errorf("decision = %v, want %v (reasons %q)", got, tc.decision, evaluation.GetReasons())
			}
			if len(evaluation.GetReasons()) == 0 {
				t.Error("reasons is empty: every decision must say why")
			}
			if tc.reasons != nil && !slices.Equal(evaluation.GetReasons(), tc.reasons) {
				t.Errorf("reasons = %q, want %q", evaluation.GetReasons(), tc.reasons)
			}
			if tc.ttl != 0 && evaluation.GetTtl() != tc.ttl {
				t.Errorf("ttl = %d, want %d", evaluation.GetTtl(), tc.ttl)
			}
		})
	}
}

func TestDecideRejects(t *testing.T) {
	gate := aegisv1.NewGateServiceClient(dial(t))
	cases := []struct {
		name  string
		sloID string
		code  codes.Code
	}{
		{name: "unknown id", sloID: "no-such-slo", code: codes.NotFound},
		{name: "empty id", sloID: "", code: codes.InvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := gate.Decide(callContext(t), &aegisv1.DecideRequest{SloId: tc.sloID})
			if err == nil {
				t.Fatalf("Decide(%q) = %v, want a %v error", tc.sloID, resp, tc.code)
			}
			if got := status.Code(err); got != tc.code {
				t.Errorf("code = %v, want %v (%v)", got, tc.code, err)
			}
			if status.Convert(err).Message() == "" {
				t.Error("the error carries no message")
			}
		})
	}
}

func TestListSLOs(t *testing.T) {
	slos := aegisv1.NewSLOServiceClient(dial(t))
	resp, err := slos.ListSLOs(callContext(t), &aegisv1.ListSLOsRequest{})
	if err != nil {
		t.Fatalf("ListSLOs: %v", err)
	}
	ids := make([]string, 0, len(resp.GetSlos()))
	for _, slo := range resp.GetSlos() {
		ids = append(ids, slo.GetId())
	}
	if !slices.Contains(ids, "api-availability") {
		t.Errorf("ids = %q, want api-availability among them", ids)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids = %q, want them ordered by id", ids)
	}
}

func TestListAuditRecords(t *testing.T) {
	conn := dial(t)
	// Decide answers from an evaluation, and every evaluation is an audit record.
	if _, err := aegisv1.NewGateServiceClient(conn).Decide(
		callContext(t), &aegisv1.DecideRequest{SloId: "api-availability"}); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	audit := aegisv1.NewAuditServiceClient(conn)
	resp, err := audit.ListAuditRecords(callContext(t), &aegisv1.ListAuditRecordsRequest{
		SloId: "api-availability",
		Limit: 5,
	})
	if err != nil {
		t.Fatalf("ListAuditRecords: %v", err)
	}
	records := resp.GetRecords()
	if len(records) == 0 || len(records) > 5 {
		t.Fatalf("got %d records, want 1 to 5", len(records))
	}
	for i, record := range records {
		if record.GetSloId() != "api-availability" || record.GetEvaluationId() == "" {
			t.Errorf("record %d: slo_id %q, evaluation_id %q", i, record.GetSloId(), record.GetEvaluationId())
		}
		if i > 0 && record.GetTimestamp().AsTime().After(records[i-1].GetTimestamp().AsTime()) {
			t.Errorf("record %d is newer than record %d: want newest first", i, i-1)
		}
	}
}
