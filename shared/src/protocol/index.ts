/** The MQTT protocol of ARCHITECTURE §3: topics, payload schemas, parsing, access rule, examples. */
export * from "./limits.js";
export * from "./common.js";
export * from "./errors.js";
export * from "./status.js";
export * from "./telemetry.js";
export * from "./events.js";
export * from "./plan.js";
export * from "./cmd.js";
export * from "./time.js";
export * from "./topics.js";
export * from "./payloads.js";
export * from "./acl.js";
export * from "./examples.js";
