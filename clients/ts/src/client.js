// createAegisClient: the TypeScript client's small, idiomatic face over the generated services.
//
//   import { createAegisClient } from "@aegisslo/client";
//   const aegis = createAegisClient("http://aegis.internal:50051", { apiKey: process.env.AEGIS_API_KEY });
//   const { decision, reasons } = await aegis.decide("checkout-availability");
//
// The URL is the server's gRPC port (gRPC over HTTP/2, @connectrpc/connect-node). Results are
// frozen plain objects with decisions as "ALLOW" | "WARN" | "BLOCK"; failures are ConnectErrors
// (err.code is a Code). UNAVAILABLE is retried with full-jitter exponential backoff within each
// call's timeout; every other code is final. Hand-written, like index.js: see client.d.ts.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { timestampDate } from "@bufbuild/protobuf/wkt";

import { Decision } from "./gen/aegis/v1/evaluation_pb.js";
import { GateService } from "./gen/aegis/v1/gate_pb.js";
import { SLOService } from "./gen/aegis/v1/slo_pb.js";

const SEVERITY = { ALLOW: 1, WARN: 2, BLOCK: 3 };

/** @param {number} value @returns {"ALLOW" | "WARN" | "BLOCK"} fails closed on a value it does not know */
function decisionName(value) {
  const name = Decision[value];
  return name === "ALLOW" || name === "WARN" || name === "BLOCK" ? name : "BLOCK";
}

/** @param {import("./gen/aegis/v1/evaluation_pb.js").Evaluation} e */
function toEvaluation(e) {
  return Object.freeze({
    evaluationId: e.evaluationId,
    sloId: e.sloId,
    service: e.service,
    environment: e.environment,
    decision: decisionName(e.decision),
    reasons: Object.freeze([...e.reasons]),
    // The server always sends an SLI; an empty window means no window had data to measure.
    sli: e.sli?.window
      ? Object.freeze({
          value: e.sli.value,
          errorRate: e.sli.errorRate,
          budgetRemaining: e.sli.budgetRemaining,
          window: e.sli.window,
        })
      : undefined,
    burnRates: Object.freeze(
      Object.fromEntries(
        Object.entries(e.burnRates).map(([window, b]) => [
          window,
          Object.freeze({ burnRate: b.burnRate, threshold: b.threshold }),
        ]),
      ),
    ),
    rules: Object.freeze(
      e.rules.map((r) =>
        Object.freeze({
          name: r.name,
          shortWindow: r.shortWindow,
          longWindow: r.longWindow,
          shortBurnRate: r.shortBurnRate,
          longBurnRate: r.longBurnRate,
          threshold: r.threshold,
          action: decisionName(r.action),
          fired: r.fired,
          evaluated: r.evaluated,
        }),
      ),
    ),
    flags: Object.freeze({
      stale: e.isStale,
      noTraffic: e.hasNoTraffic,
      missingData: e.hasMissingData,
      tooFewDataPoints: e.hasTooFewDataPoints,
      clamped: e.hasClampedData,
    }),
    timestamp: e.timestamp ? timestampDate(e.timestamp) : undefined,
    dataTimestamp: e.dataTimestamp ? timestampDate(e.dataTimestamp) : undefined,
    ttlSeconds: e.ttl,
    dryRun: e.dryRun,
    wouldBeDecision: e.wouldBeDecision === undefined ? undefined : decisionName(e.wouldBeDecision),
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {string} url
 * @param {import("./client.js").AegisClientOptions} [options]
 * @returns {import("./client.js").AegisClient}
 */
export function createAegisClient(url, options = {}) {
  const { apiKey, timeoutMs = 10_000, maxAttempts = 4, initialBackoffMs = 100, maxBackoffMs = 2_000 } = options;
  /** @type {import("@connectrpc/connect").Interceptor[]} */
  const interceptors = [];
  if (apiKey) {
    interceptors.push((next) => async (request) => {
      request.header.set("authorization", `Bearer ${apiKey}`);
      return next(request);
    });
  }
  const transport = options.transport ?? createGrpcTransport({ baseUrl: url, interceptors });
  const gate = createClient(GateService, transport);
  const slos = createClient(SLOService, transport);

  /** One call: retried on UNAVAILABLE, all attempts within `timeout` ms. */
  async function call(attempt, timeout = timeoutMs) {
    const deadline = Date.now() + timeout;
    for (let made = 1; ; made++) {
      try {
        return await attempt({ timeoutMs: Math.max(deadline - Date.now(), 1) });
      } catch (err) {
        const error = ConnectError.from(err);
        const delay = Math.random() * Math.min(maxBackoffMs, initialBackoffMs * 2 ** (made - 1));
        if (error.code !== Code.Unavailable || made >= maxAttempts || Date.now() + delay >= deadline) {
          throw error;
        }
        await sleep(delay);
      }
    }
  }

  async function decide(sloId, { fresh = false, dryRun = false, deployment, timeoutMs: timeout } = {}) {
    const request = { sloId, forceFresh: fresh, dryRun, deployment: deployment && { ...deployment } };
    const { evaluation } = await call((o) => gate.decide(request, o), timeout);
    if (!evaluation) throw new ConnectError("the server answered Decide without an evaluation", Code.Unknown);
    return toEvaluation(evaluation);
  }

  async function serviceState(service, environment, { timeoutMs: timeout } = {}) {
    const state = await call((o) => gate.getServiceState({ service, environment }, o), timeout);
    return Object.freeze({
      service: state.service,
      environment: state.environment,
      decision: decisionName(state.decision),
      reasons: Object.freeze([...state.reasons]),
      evaluations: Object.freeze(state.evaluations.map(toEvaluation)),
    });
  }

  async function gateOn(target, { fresh = false, dryRun = false, deployment, timeoutMs: timeout } = {}) {
    const label = target.sloId ?? `${target.service}/${target.environment}`;
    const ask = { fresh, dryRun, deployment, timeoutMs: timeout };
    let decision, reasons, evaluations;
    if (target.sloId) {
      const e = await decide(target.sloId, ask);
      ({ decision, reasons, evaluations } = { decision: e.decision, reasons: e.reasons, evaluations: [e] });
    } else if (!fresh && !dryRun && !deployment) {
      ({ decision, reasons, evaluations } = await serviceState(target.service, target.environment, { timeoutMs: timeout }));
    } else {
      const all = (await call((o) => slos.listSLOs({}, o), timeout)).slos;
      const members = all.filter((s) => s.service === target.service && s.environment === target.environment);
      if (members.length === 0) {
        throw new ConnectError(`no SLO for service '${target.service}' in environment '${target.environment}'`, Code.NotFound);
      }
      // Decide per SLO (GetServiceState has no fresh, dry run or deployment): each is a gate request.
      evaluations = await Promise.all(members.map((s) => decide(s.id, ask)));
      decision = evaluations.reduce((worst, e) => (SEVERITY[e.decision] > SEVERITY[worst] ? e.decision : worst), "ALLOW");
      reasons = evaluations
        // An SLO answered ALLOW in dry run still says what it would have been.
        .filter((e) => (e.wouldBeDecision ?? e.decision) !== "ALLOW")
        .map((e) => `${e.sloId}: ${e.decision}: ${e.reasons.join("; ")}`);
      if (reasons.length === 0) reasons = ["all burn rate checks passed"];
    }
    return Object.freeze({
      target: label,
      decision,
      reasons: Object.freeze([...reasons]),
      evaluations: Object.freeze([...evaluations]),
      summary: `${decision} ${label}: ${reasons.join("; ")}`,
      passed: (failOn = "BLOCK") => SEVERITY[decision] < Math.min(SEVERITY[failOn], SEVERITY.BLOCK),
    });
  }

  return Object.freeze({ decide, serviceState, gate: gateOn });
}
