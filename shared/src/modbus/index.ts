// Modbus RTU codec (ARCHITECTURE §5).
export * from "./crc.js";
export * from "./types.js";
export * from "./errors.js";
export * from "./request.js";
export * from "./response.js";
export * from "./framing.js";
export * from "./parser.js";
export * from "./stream.js";
export { packBits, unpackBits, COIL_ON, COIL_OFF } from "./wire.js";
