/**
 * The simulator's control interface over HTTP, bound to 127.0.0.1 only (a test or an operator on the same
 * machine flips faults while a driver talks to the simulator). Routes map onto the same commands as stdin.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AmpEngine } from "../core/amp-engine.js";
import { ControlError, executeCommand, faultName, noiseMode, num, parseCommandLine, type ControlCommand } from "./commands.js";

const MAX_BODY = 64 * 1024;

export interface HttpControl {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export async function startHttpControl(engine: AmpEngine, port: number): Promise<HttpControl> {
  const server = createServer((req, res) => void handle(engine, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function handle(engine: AmpEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = req.method === "POST" ? await readJson(req) : {};
    const cmd = route(req.method ?? "GET", url, body);
    if (!cmd) return send(res, 404, { error: `no route ${req.method ?? ""} ${url.pathname}` });
    send(res, 200, executeCommand(engine, cmd));
  } catch (err) {
    if (err instanceof ControlError) send(res, 400, { error: err.message });
    else send(res, 500, { error: err instanceof Error ? err.message : String(err) });
  }
}

function send(res: ServerResponse, status: number, data: unknown): void {
  res.writeHead(status, { "content-type": typeof data === "string" ? "text/plain; charset=utf-8" : "application/json" });
  res.end(typeof data === "string" ? `${data}\n` : JSON.stringify(data));
}

type Body = Record<string, unknown>;

function route(method: string, url: URL, body: Body): ControlCommand | undefined {
  switch (`${method} ${url.pathname}`) {
    case "GET /state":
      return { op: "status" };
    case "GET /help":
      return { op: "help" };
    case "GET /trace": {
      const limit = url.searchParams.get("limit");
      return { op: "trace", limit: limit === null ? 20 : num(limit, "limit", 1, 100_000) };
    }
    case "POST /fault":
      return { op: "fault", name: faultName(str(body, "name")), on: bool(body, "on") };
    case "POST /clear":
      return { op: "clear" };
    case "POST /slow":
      return { op: "slow", ms: num(body["ms"], "ms", 0, 600_000) };
    case "POST /noise":
      return { op: "noise", rate: num(body["rate"], "rate", 0, 1), mode: noiseMode(body["mode"] === undefined ? undefined : str(body, "mode")) };
    case "POST /signal":
      return { op: "signal", level: "level" in body ? num(body["level"], "level", 0, 1) : Number(bool(body, "on")) };
    case "POST /register":
      return { op: "set", register: str(body, "name"), raw: num(body["raw"], "raw", 0, 0xffff) };
    case "POST /command":
      return parseCommandLine(str(body, "line"));
    default:
      return undefined;
  }
}

function str(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== "string") throw new ControlError(`"${key}" must be a string`);
  return v;
}

function bool(body: Body, key: string): boolean {
  const v = body[key];
  if (typeof v !== "boolean") throw new ControlError(`"${key}" must be true or false`);
  return v;
}

async function readJson(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ControlError(`body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ControlError("body is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ControlError("body must be a JSON object");
  return json as Body;
}
