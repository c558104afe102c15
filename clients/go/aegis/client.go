// Package aegis is a small client for an AegisSLO release gate: dial once, then ask for
// decisions and get plain Go values back.
//
//	client, err := aegis.Dial("aegis.internal:50051", aegis.WithAPIKey(key))
//	if err != nil { ... }
//	defer client.Close()
//	evaluation, err := client.Decide(ctx, "checkout-availability")
//	switch {
//	case status.Code(err) == codes.NotFound: // no SLO with that id
//	case err != nil: // Unavailable after retries, DeadlineExceeded, ...
//	case evaluation.Decision == aegis.Block:
//		log.Fatalf("deploy blocked: %s", strings.Join(evaluation.Reasons, "; "))
//	}
//
// Errors keep their gRPC status (status.Code works on them). UNAVAILABLE is retried by grpc-go
// with exponential backoff (a service config retry policy); every call has a deadline (the
// context's, else WithTimeout's, 10 s by default). The generated stubs are in package aegisv1
// (./v1) for everything this package does not wrap.
package aegis

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	aegisv1 "github.com/aegisslo/aegisslo/clients/go/aegis/v1"
)

// DefaultTimeout bounds a call whose context has no deadline.
const DefaultTimeout = 10 * time.Second

// retryServiceConfig retries UNAVAILABLE (the server did not act on the call) on every aegis.v1
// method: all of them are reads, so a retry is safe.
const retryServiceConfig = `{"methodConfig": [{
  "name": [{"service": "aegis.v1.GateService"}, {"service": "aegis.v1.SLOService"}, {"service": "aegis.v1.AuditService"}],
  "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "2s", "backoffMultiplier": 2,
                  "retryableStatusCodes": ["UNAVAILABLE"]}
}]}`

// Client is a connection to one AegisSLO server; it is safe for concurrent use.
type Client struct {
	conn    *grpc.ClientConn
	gate    aegisv1.GateServiceClient
	slos    aegisv1.SLOServiceClient
	apiKey  string
	timeout time.Duration
}

type options struct {
	apiKey      string
	tls         *tls.Config
	timeout     time.Duration
	dialOptions []grpc.DialOption
}

// An Option configures Dial.
type Option func(*options)

// WithAPIKey sends "authorization: Bearer KEY" with every call.
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithTLS connects over TLS with this configuration (RootCAs, Certificates for mutual TLS,
// ServerName); without it the connection is plaintext.
func WithTLS(config *tls.Config) Option { return func(o *options) { o.tls = config } }

// WithTimeout bounds each call whose context has no deadline (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithDialOptions passes extra grpc.DialOptions (interceptors, keepalive...).
func WithDialOptions(extra ...grpc.DialOption) Option {
	return func(o *options) { o.dialOptions = append(o.dialOptions, extra...) }
}

// Dial prepares a client for the gRPC address addr ("host:port"); it connects on the first call.
func Dial(addr string, opts ...Option) (*Client, error) {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	creds := insecure.NewCredentials()
	if o.tls != nil {
		creds = credentials.NewTLS(o.tls)
	}
	dialOptions := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(retryServiceConfig),
	}, o.dialOptions...)
	conn, err := grpc.NewClient(addr, dialOptions...)
	if err != nil {
		return nil, fmt.Errorf("aegis: dial %s: %w", addr, err)
	}
	return &Client{
		conn:    conn,
		gate:    aegisv1.NewGateServiceClient(conn),
		slos:    aegisv1.NewSLOServiceClient(conn),
		apiKey:  o.apiKey,
		timeout: o.timeout,
	}, nil
}

// Close releases the connection.
func (c *Client) Close() error { return c.conn.Close() }

// A DecideOption changes how Decide asks.
type DecideOption func(*aegisv1.DecideRequest)

// Fresh evaluates now instead of answering from the latest evaluation.
func Fresh() DecideOption { return func(r *aegisv1.DecideRequest) { r.ForceFresh = true } }

// DryRun asks in dry run: the answer is Allow, with the policy's decision in WouldBeDecision.
func DryRun() DecideOption { return func(r *aegisv1.DecideRequest) { r.DryRun = true } }

// Deployment says who asks and for what; the server records it with the request in its audit.
// Every field is optional free text (at most 512 characters).
type Deployment struct {
	ID, Commit, PipelineURL, Caller string
}

// WithDeployment sends the deployment context with the request.
func WithDeployment(d Deployment) DecideOption {
	return func(r *aegisv1.DecideRequest) {
		r.Deployment = &aegisv1.DeploymentContext{
			DeploymentId: d.ID, Commit: d.Commit, PipelineUrl: d.PipelineURL, Caller: d.Caller,
		}
	}
}

// Decide returns the current decision for one SLO.
func (c *Client) Decide(ctx context.Context, sloID string, opts ...DecideOption) (*Evaluation, error) {
	request := &aegisv1.DecideRequest{SloId: sloID}
	for _, opt := range opts {
		opt(request)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	response, err := c.gate.Decide(ctx, request)
	if err != nil {
		return nil, fmt.Errorf("aegis: Decide %q: %w", sloID, err)
	}
	return evaluationFromProto(response.GetEvaluation()), nil
}

// ServiceState returns the latest evaluation of every SLO of a service in an environment, and
// the worst of their decisions.
func (c *Client) ServiceState(ctx context.Context, service, environment string) (*ServiceState, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	response, err := c.gate.GetServiceState(ctx, &aegisv1.GetServiceStateRequest{
		Service: service, Environment: environment,
	})
	if err != nil {
		return nil, fmt.Errorf("aegis: GetServiceState %s/%s: %w", service, environment, err)
	}
	return serviceStateFromProto(response), nil
}

// SLOs lists the loaded SLOs, ordered by id.
func (c *Client) SLOs(ctx context.Context) ([]SLO, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	response, err := c.slos.ListSLOs(ctx, &aegisv1.ListSLOsRequest{})
	if err != nil {
		return nil, fmt.Errorf("aegis: ListSLOs: %w", err)
	}
	slos := make([]SLO, 0, len(response.GetSlos()))
	for _, slo := range response.GetSlos() {
		slos = append(slos, SLO{ID: slo.GetId(), Name: slo.GetName(), Service: slo.GetService(),
			Environment: slo.GetEnvironment(), Objective: slo.GetObjective(), Window: slo.GetWindow()})
	}
	return slos, nil
}

func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.apiKey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.apiKey)
	}
	if _, ok := ctx.Deadline(); ok || c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}
