// Amplifier profiles (ARCHITECTURE §5).
export * from "./schema.js";
export * from "./registers.js";
export * from "./load.js";
