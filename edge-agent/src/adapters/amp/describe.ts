/** Requests in words, for error messages and logs ("readInput 16..20 (FC 04)"). */
import { functionCodeOf, type ModbusRequest } from "@loa/shared";

export function describeRequest(req: ModbusRequest): string {
  if (req.kind === "unknown") return `function ${two(req.functionCode)} to unit ${req.unitId}`;
  const fc = `(FC ${two(functionCodeOf[req.kind])})`;
  switch (req.kind) {
    case "readHolding":
    case "readInput":
    case "readCoils":
    case "readDiscrete":
      return `${req.kind} ${range(req.address, req.quantity)} ${fc}`;
    case "writeSingle":
      return `writeSingle register ${req.address} = ${req.value} ${fc}`;
    case "writeCoil":
      return `writeCoil ${req.address} = ${req.value ? "on" : "off"} ${fc}`;
    case "writeMultiple":
      return `writeMultiple ${range(req.address, req.values.length)} = [${req.values.join(", ")}] ${fc}`;
  }
}

function range(address: number, quantity: number): string {
  return quantity === 1 ? `${address}` : `${address}..${address + quantity - 1}`;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}
