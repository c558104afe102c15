// Typings of ./client.js: createAegisClient and the plain, frozen results it returns.
import type { Transport } from "@connectrpc/connect";

export type DecisionName = "ALLOW" | "WARN" | "BLOCK";

export interface AegisClientOptions {
  /** Sent as `authorization: Bearer KEY` on every call. */
  apiKey?: string;
  /** Each call, retries included, gives up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Attempts per call, the first included; only UNAVAILABLE is retried (default 4). */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Use this transport instead of gRPC over HTTP/2 to `url` (e.g. one with TLS settings). */
  transport?: Transport;
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface SLIResult {
  readonly value: number;
  readonly errorRate: number;
  readonly budgetRemaining: number;
  readonly window: string;
}

export interface RuleOutcome {
  readonly name: string;
  readonly shortWindow: string;
  readonly longWindow: string;
  readonly shortBurnRate: number;
  readonly longBurnRate: number;
  readonly threshold: number;
  readonly action: DecisionName;
  readonly fired: boolean;
  readonly evaluated: boolean;
}

// Named apart from the generated messages (Evaluation, RuleResult, SLISummary) that index.js also exports.
export interface EvaluationResult {
  readonly evaluationId: string;
  readonly sloId: string;
  readonly service: string;
  readonly environment: string;
  readonly decision: DecisionName;
  readonly reasons: readonly string[];
  readonly sli: SLIResult | undefined;
  readonly burnRates: Readonly<Record<string, { readonly burnRate: number; readonly threshold: number }>>;
  readonly rules: readonly RuleOutcome[];
  readonly flags: {
    readonly stale: boolean;
    readonly noTraffic: boolean;
    readonly missingData: boolean;
    readonly tooFewDataPoints: boolean;
    readonly clamped: boolean;
  };
  readonly timestamp: Date | undefined;
  readonly dataTimestamp: Date | undefined;
  readonly ttlSeconds: number;
  /** Dry run: `decision` is ALLOW whatever the policy decided; that is `wouldBeDecision`. */
  readonly dryRun: boolean;
  readonly wouldBeDecision: DecisionName | undefined;
}

/** Who asks and for what; recorded with the gate request in the server's audit (each at most 512 characters). */
export interface Deployment {
  deploymentId?: string;
  commit?: string;
  pipelineUrl?: string;
  caller?: string;
}

export interface DecideOptions extends CallOptions {
  /** Evaluate now instead of answering from the latest evaluation. */
  fresh?: boolean;
  /** Answer ALLOW, with the policy's decision in `wouldBeDecision`. */
  dryRun?: boolean;
  deployment?: Deployment;
}

export interface ServiceState {
  readonly service: string;
  readonly environment: string;
  readonly decision: DecisionName;
  readonly reasons: readonly string[];
  readonly evaluations: readonly EvaluationResult[];
}

export type GateTarget = { sloId: string } | { service: string; environment: string };

export interface Verdict {
  readonly target: string;
  readonly decision: DecisionName;
  readonly reasons: readonly string[];
  readonly evaluations: readonly EvaluationResult[];
  /** "BLOCK checkout/production: ..." */
  readonly summary: string;
  /** False when the decision is `failOn` or worse; BLOCK always fails. */
  passed(failOn?: DecisionName): boolean;
}

export interface AegisClient {
  decide(sloId: string, options?: DecideOptions): Promise<EvaluationResult>;
  serviceState(service: string, environment: string, options?: CallOptions): Promise<ServiceState>;
  /** One SLO, or every SLO of a service (worst decision wins); `fresh` evaluates each now. */
  gate(target: GateTarget, options?: DecideOptions): Promise<Verdict>;
}

export function createAegisClient(url: string, options?: AegisClientOptions): AegisClient;
