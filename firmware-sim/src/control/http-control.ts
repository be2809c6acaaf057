/**
 * The simulator's control interface over HTTP, bound to 127.0.0.1 only (a test or an operator on the same
 * machine flips faults while a driver talks to the simulator). Routes map onto the same commands as stdin.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AmpEngine } from "../core/amp-engine.js";
import { ControlError, executeCommand, faultName, noiseMode, num, parseCommandLine, type ControlCommand } from "./commands.js";
import { bodyBoolean, bodyString, listenLoopback, readJsonBody, sendReply, type JsonBody, type LoopbackHttpServer } from "./http-json.js";

const MAX_BODY = 64 * 1024;

const invalid = (message: string): Error => new ControlError(message);

export type HttpControl = LoopbackHttpServer;

export function startHttpControl(engine: AmpEngine, port: number): Promise<HttpControl> {
  return listenLoopback((req, res) => handle(engine, req, res), port);
}

async function handle(engine: AmpEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = req.method === "POST" ? await readJsonBody(req, MAX_BODY, invalid) : {};
    const cmd = route(req.method ?? "GET", url, body);
    if (!cmd) return send(res, 404, { error: `no route ${req.method ?? ""} ${url.pathname}` });
    send(res, 200, executeCommand(engine, cmd));
  } catch (err) {
    if (err instanceof ControlError) send(res, 400, { error: err.message });
    else send(res, 500, { error: err instanceof Error ? err.message : String(err) });
  }
}

function send(res: ServerResponse, status: number, data: unknown): void {
  sendReply(res, status, data, { textNewline: true });
}

type Body = JsonBody;

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
  return bodyString(body, key, invalid);
}

function bool(body: Body, key: string): boolean {
  return bodyBoolean(body, key, invalid);
}
