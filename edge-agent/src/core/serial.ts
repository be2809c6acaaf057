// Serial lives in src/lib/ so adapters can share it without importing core (see lib/serial.ts). This re-export
// keeps core's `./serial.js` imports working; core files may import "../lib/serial.js" directly instead.
export { Serial } from "../lib/serial.js";
