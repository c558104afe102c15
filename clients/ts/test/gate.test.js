// @ts-check
// The TypeScript client's example and end-to-end test: it talks to a running AegisSLO
// server at AEGIS_GRPC_ADDR ("host:port" of the gRPC port) and skips when that is
// unset. Plain ES modules so Node 20 runs it as-is; `npm run typecheck` checks it
// against the generated typings.
//
// The expectations match the server's embedded default (fixtures/slo/valid with the
// synthetic adapter): api-availability ALLOW, checkout-fast-burn BLOCK,
// billing-stale WARN. tests/clients/test_ts_client.py starts that server and runs this.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

import { AuditService, Decision, GateService, SLOService } from "@aegisslo/client";

const addr = process.env.AEGIS_GRPC_ADDR;
const skip = addr ? false : "AEGIS_GRPC_ADDR is not set: point it at a running aegis-server's gRPC port";

// The transport connects on the first call, so building it for a skipped suite is harmless.
// gRPC over HTTP/2 without TLS; every call gives up after 10 s instead of hanging the run.
const transport = createGrpcTransport({ baseUrl: `http://${addr}`, defaultTimeoutMs: 10_000 });
const gate = createClient(GateService, transport);
const slos = createClient(SLOService, transport);
const audit = createClient(AuditService, transport);

describe("GateService.Decide", { skip }, () => {
  const cases = [
    { sloId: "api-availability", decision: Decision.ALLOW, reasons: ["all burn rate checks passed"], ttl: 300 },
    { sloId: "checkout-fast-burn", decision: Decision.BLOCK },
    { sloId: "billing-stale", decision: Decision.WARN },
  ];
  for (const { sloId, decision, reasons, ttl } of cases) {
    it(`answers ${Decision[decision]} for ${sloId}`, async () => {
      const { evaluation } = await gate.decide({ sloId });
      assert.ok(evaluation, "the response carries no evaluation");
      assert.equal(evaluation.sloId, sloId);
      assert.equal(Decision[evaluation.decision], Decision[decision], evaluation.reasons.join("; "));
      assert.ok(evaluation.reasons.length > 0, "every decision must say why");
      if (reasons) assert.deepEqual(evaluation.reasons, reasons);
      if (ttl) assert.equal(evaluation.ttl, ttl);
    });
  }

  const rejections = [
    { name: "an unknown id", sloId: "no-such-slo", code: Code.NotFound },
    { name: "an empty id", sloId: "", code: Code.InvalidArgument },
  ];
  for (const { name, sloId, code } of rejections) {
    it(`rejects ${name} with ${Code[code]}`, async () => {
      await assert.rejects(gate.decide({ sloId }), (err) => {
        assert.ok(err instanceof ConnectError, `not a ConnectError: ${err}`);
        assert.equal(Code[err.code], Code[code], err.message);
        assert.ok(err.rawMessage.length > 0, "the error carries no message");
        return true;
      });
    });
  }
});

describe("SLOService.ListSLOs", { skip }, () => {
  it("lists the loaded SLOs ordered by id", async () => {
    const ids = (await slos.listSLOs({})).slos.map((slo) => slo.id);
    assert.ok(ids.includes("api-availability"), `ids: ${ids}`);
    assert.deepEqual(ids, [...ids].sort());
  });
});

describe("AuditService.ListAuditRecords", { skip }, () => {
  it("returns the records of one SLO, newest first", async () => {
    // Decide answers from an evaluation, and every evaluation is an audit record.
    await gate.decide({ sloId: "api-availability" });
    const { records } = await audit.listAuditRecords({ sloId: "api-availability", limit: 5 });
    assert.ok(records.length >= 1 && records.length <= 5, `got ${records.length} records`);
    for (const record of records) {
      assert.equal(record.sloId, "api-availability");
      assert.ok(record.evaluationId, "a record without an evaluation id");
      assert.ok(record.timestamp, "a record without a timestamp");
    }
    const times = records.map((record) => (record.timestamp ? timestampMs(record.timestamp) : 0));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });
});
