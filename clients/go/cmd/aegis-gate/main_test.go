package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestExitCodes runs the command's run() against AEGIS_GRPC_ADDR (skipped when unset).
func TestExitCodes(t *testing.T) {
	addr := os.Getenv("AEGIS_GRPC_ADDR")
	if addr == "" {
		t.Skip("AEGIS_GRPC_ADDR is not set: point it at a running aegis-server's gRPC port")
	}
	cases := []struct {
		name string
		args []string
		code int
		line string
	}{
		{"allow", []string{"-slo", "api-availability"}, exitAllow, "ALLOW api-availability: all burn rate checks passed"},
		{"block", []string{"-slo", "checkout-fast-burn"}, exitBlock, "BLOCK checkout-fast-burn: rule fast-burn fired"},
		{"warn", []string{"-slo", "billing-stale"}, exitAllow, "WARN billing-stale: "},
		{"warn-fails", []string{"-slo", "billing-stale", "-fail-on", "warn"}, exitWarn, "WARN billing-stale: "},
		{"service", []string{"-service", "checkout", "-environment", "production", "-fresh"}, exitBlock,
			"BLOCK checkout/production: checkout-fast-burn: BLOCK: "},
		{"unknown", []string{"-slo", "no-such-slo"}, exitError, ""},
		{"usage", []string{"-slo", "a", "-service", "b"}, exitError, ""},
		{"bad-flag", []string{"-no-such-flag"}, exitError, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"-server", addr}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, stdout.String(), stderr.String())
			}
			if tc.line != "" && !strings.HasPrefix(stdout.String(), tc.line) {
				t.Errorf("stdout %q, want it to start with %q", stdout.String(), tc.line)
			}
			if tc.line == "" && stderr.Len() == 0 {
				t.Error("an error exit says nothing on stderr")
			}
		})
	}
}
