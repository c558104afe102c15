// @ts-check
// A Node program that asks the gate and exits like `aegis gate`: 0 ALLOW or WARN, 1 BLOCK,
// 3 no decision. Usage (from clients/ts): node examples/decide.js http://localhost:50051 SLO_ID
import { createAegisClient } from "@aegisslo/client";

const [url = "http://localhost:50051", sloId = "api-availability"] = process.argv.slice(2);
const aegis = createAegisClient(url, { apiKey: process.env.AEGIS_API_KEY });
try {
  const { decision, reasons } = await aegis.decide(sloId);
  console.log(`${decision} ${sloId}: ${reasons.join("; ")}`);
  process.exitCode = decision === "BLOCK" ? 1 : 0;
} catch (err) {
  console.error(`could not decide: ${err}`);
  process.exitCode = 3;
}
