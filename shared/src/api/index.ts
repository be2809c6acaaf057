/** REST request bodies and responses (ARCHITECTURE §7): one source for the cloud, the panel and the OpenAPI document. */
export * from "./common.js";
export * from "./users.js";
export * from "./areas.js";
export * from "./devices.js";
export * from "./bulletins.js";
export * from "./plays.js";
export * from "./broadcasts.js";
