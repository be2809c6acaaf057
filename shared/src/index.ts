export * from "./errors.js";
export * from "./clock.js";
export * from "./ids.js";
export * from "./model.js";
export * from "./protocol/index.js";
export * from "./api/index.js";
export * from "./modbus/index.js";
export * from "./profiles/index.js";
