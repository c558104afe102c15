// Command aegis-gate asks an AegisSLO server whether to deploy, for a pipeline step, with the
// exit codes of `aegis gate`:
//
//	0  ALLOW, or WARN without -fail-on warn
//	1  BLOCK
//	2  WARN with -fail-on warn
//	3  no decision: the server cannot be reached, answered an error, or the command line is wrong
//
// Usage:
//
//	aegis-gate -server aegis:50051 -slo checkout-availability
//	aegis-gate -server aegis:50051 -service checkout -environment production -fail-on warn
//	aegis-gate -server aegis:50051 -slo checkout-availability -dry-run -deployment-id checkout-v42
//
// -dry-run asks in dry run: the answer is ALLOW (exit 0) and the line says what it would have been.
// -deployment-id, -commit, -pipeline-url and -caller are recorded with the request in the audit.
//
// It prints one line, the verdict and its reasons. AEGIS_SERVER and AEGIS_API_KEY stand in for
// -server and -api-key.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aegisslo/aegisslo/clients/go/aegis"
)

const (
	exitAllow = 0
	exitBlock = 1
	exitWarn  = 2
	exitError = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	server, apiKey, caFile, failOn string
	target                         aegis.Target
	fresh, useTLS, dryRun          bool
	timeout                        time.Duration
	deployment                     aegis.Deployment
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitAllow
		}
		fmt.Fprintf(stderr, "aegis-gate: %v\n", err)
		return exitError
	}
	options := []aegis.Option{aegis.WithAPIKey(cfg.apiKey), aegis.WithTimeout(cfg.timeout)}
	if cfg.useTLS || cfg.caFile != "" {
		config, err := tlsConfig(cfg.caFile)
		if err != nil {
			fmt.Fprintf(stderr, "aegis-gate: %v\n", err)
			return exitError
		}
		options = append(options, aegis.WithTLS(config))
	}
	client, err := aegis.Dial(cfg.server, options...)
	if err != nil {
		fmt.Fprintf(stderr, "aegis-gate: could not decide: %v\n", err)
		return exitError
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	var decideOptions []aegis.DecideOption
	if cfg.dryRun {
		decideOptions = append(decideOptions, aegis.DryRun())
	}
	if cfg.deployment != (aegis.Deployment{}) {
		decideOptions = append(decideOptions, aegis.WithDeployment(cfg.deployment))
	}
	verdict, err := client.Gate(ctx, cfg.target, cfg.fresh, decideOptions...)
	if err != nil {
		fmt.Fprintf(stderr, "aegis-gate: could not decide: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stdout, verdict.Summary())
	failOn := aegis.Block
	if cfg.failOn == "warn" {
		failOn = aegis.Warn
	}
	switch {
	case verdict.Decision == aegis.Block:
		return exitBlock
	case !verdict.Passed(failOn):
		return exitWarn
	default:
		return exitAllow
	}
}

func parse(args []string, stderr io.Writer) (*config, error) {
	flags := flag.NewFlagSet("aegis-gate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	cfg := &config{}
	flags.StringVar(&cfg.server, "server", os.Getenv("AEGIS_SERVER"), "the server's gRPC address, host:port (AEGIS_SERVER)")
	flags.StringVar(&cfg.target.SLOID, "slo", "", "the SLO's metadata.id")
	flags.StringVar(&cfg.target.Service, "service", "", "every SLO of this service...")
	flags.StringVar(&cfg.target.Environment, "environment", "", "...in this environment")
	flags.BoolVar(&cfg.fresh, "fresh", false, "evaluate now instead of reading the latest evaluation")
	flags.StringVar(&cfg.failOn, "fail-on", "block", "the least severe decision that fails: block or warn")
	flags.BoolVar(&cfg.dryRun, "dry-run", false, "ask in dry run: ALLOW, and the line says what it would have been")
	flags.StringVar(&cfg.deployment.ID, "deployment-id", "", "the deployment this is for (recorded in the audit)")
	flags.StringVar(&cfg.deployment.Commit, "commit", "", "the commit being deployed (recorded in the audit)")
	flags.StringVar(&cfg.deployment.PipelineURL, "pipeline-url", "", "where the pipeline run can be seen (recorded in the audit)")
	flags.StringVar(&cfg.deployment.Caller, "caller", "", "who or what asks (recorded in the audit)")
	flags.StringVar(&cfg.apiKey, "api-key", os.Getenv("AEGIS_API_KEY"), "sent as 'authorization: Bearer KEY' (AEGIS_API_KEY)")
	flags.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "give up after this long, retries included")
	flags.BoolVar(&cfg.useTLS, "tls", false, "use TLS with the system's CAs")
	flags.StringVar(&cfg.caFile, "ca-file", "", "PEM CAs to trust (turns TLS on)")
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case flags.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments: %q", flags.Args())
	case cfg.server == "":
		return nil, errors.New("name the server: -server HOST:PORT (or AEGIS_SERVER)")
	case cfg.failOn != "block" && cfg.failOn != "warn":
		return nil, fmt.Errorf("-fail-on must be block or warn, got %q", cfg.failOn)
	case cfg.timeout <= 0:
		return nil, fmt.Errorf("-timeout must be positive, got %v", cfg.timeout)
	}
	return cfg, nil
}

func tlsConfig(caFile string) (*tls.Config, error) {
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return config, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read -ca-file: %w", err)
	}
	config.RootCAs = x509.NewCertPool()
	if !config.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-ca-file %s holds no PEM certificate", caFile)
	}
	return config, nil
}
