// The aegis.v1 services, messages and enums in one import. Hand-written: the
// modules it re-exports are generated into ./gen by scripts/gen_clients.sh.
export * from "./gen/aegis/v1/evaluation_pb.js";
export * from "./gen/aegis/v1/gate_pb.js";
export * from "./gen/aegis/v1/slo_pb.js";
export * from "./gen/aegis/v1/audit_pb.js";
export * from "./client.js";
