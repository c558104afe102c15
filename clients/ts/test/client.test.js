// @ts-check
// createAegisClient against a running server at AEGIS_GRPC_ADDR (skipped when unset); the
// expectations match the embedded default (see gate.test.js). tests/clients/test_ts_client.py
// runs it against a live server.
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { AuditService, createAegisClient } from "@aegisslo/client";

const addr = process.env.AEGIS_GRPC_ADDR;
const skip = addr ? false : "AEGIS_GRPC_ADDR is not set: point it at a running aegis-server's gRPC port";
const aegis = createAegisClient(`http://${addr}`, { apiKey: "k-ts-test" });

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = server.address();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return typeof address === "object" && address ? address.port : 0;
}

describe("createAegisClient", { skip }, () => {
  for (const [sloId, decision] of [
    ["api-availability", "ALLOW"],
    ["checkout-fast-burn", "BLOCK"],
    ["billing-stale", "WARN"],
  ]) {
    it(`decide(${sloId}) is ${decision}, with its evidence`, async () => {
      const evaluation = await aegis.decide(sloId);
      assert.equal(evaluation.decision, decision, evaluation.reasons.join("; "));
      assert.equal(evaluation.sloId, sloId);
      assert.ok(evaluation.reasons.length > 0);
      assert.ok(evaluation.rules.length > 0 && evaluation.sli !== undefined);
      assert.ok(evaluation.timestamp instanceof Date);
      assert.ok(Object.isFrozen(evaluation) && Object.isFrozen(evaluation.rules));
    });
  }

  it("decide with fresh evaluates again", async () => {
    const cached = await aegis.decide("api-availability");
    const fresh = await aegis.decide("api-availability", { fresh: true });
    assert.notEqual(fresh.evaluationId, cached.evaluationId);
  });

  it("an unknown SLO is a NotFound ConnectError", async () => {
    await assert.rejects(aegis.decide("no-such-slo"), (err) => {
      assert.ok(err instanceof ConnectError);
      assert.equal(Code[err.code], "NotFound");
      return true;
    });
  });

  it("gate on a service: the worst decision wins, cached or fresh", async () => {
    for (const fresh of [false, true]) {
      const verdict = await aegis.gate({ service: "checkout", environment: "production" }, { fresh });
      assert.equal(verdict.decision, "BLOCK");
      assert.equal(verdict.passed(), false);
      assert.ok(verdict.summary.startsWith("BLOCK checkout/production: checkout-fast-burn: BLOCK: rule fast-burn"));
    }
    const warn = await aegis.gate({ sloId: "billing-stale" });
    assert.equal(warn.passed(), true);
    assert.equal(warn.passed("WARN"), false);
  });

  it("decide sends dry run and the deployment context, which the audit records", async () => {
    const deploymentId = `ts-wrapper-${Date.now()}`;
    const deployment = { deploymentId, commit: "f00d", pipelineUrl: "https://ci.example/ts", caller: "node" };
    const answer = await aegis.decide("checkout-fast-burn", { dryRun: true, deployment });
    assert.deepEqual([answer.decision, answer.dryRun, answer.wouldBeDecision], ["ALLOW", true, "BLOCK"]);
    const audit = createClient(AuditService, createGrpcTransport({ baseUrl: `http://${addr}` }));
    const page = await audit.listAuditRecords({ deploymentId });
    assert.equal(page.records.length, 1);
    const [record] = page.records;
    assert.equal(record.evaluationId, answer.evaluationId);
    assert.equal(record.dryRun, true);
    const { commit, pipelineUrl, caller } = record.gateRequest ?? {};
    assert.deepEqual({ commit, pipelineUrl, caller }, { commit: "f00d", pipelineUrl: "https://ci.example/ts", caller: "node" });
  });

  it("an unreachable server is Unavailable after bounded retries", async () => {
    const port = await closedPort();
    const down = createAegisClient(`http://127.0.0.1:${port}`, { maxAttempts: 2, initialBackoffMs: 1 });
    await assert.rejects(down.decide("api-availability"), (err) => {
      assert.ok(err instanceof ConnectError);
      assert.equal(Code[err.code], "Unavailable");
      return true;
    });
  });
});
