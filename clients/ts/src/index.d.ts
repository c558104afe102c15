// Typings of ./index.js: the generated aegis.v1 modules, re-exported.
export * from "./gen/aegis/v1/evaluation_pb.js";
export * from "./gen/aegis/v1/gate_pb.js";
export * from "./gen/aegis/v1/slo_pb.js";
export * from "./gen/aegis/v1/audit_pb.js";
export * from "./client.js";
