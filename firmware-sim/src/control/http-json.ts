/**
 * Small pieces shared by the simulator's two HTTP control interfaces (one amplifier: http-control.ts; the
 * fleet: fleet/control-http.ts): a loopback-only server, JSON body reading with a size cap, typed body fields
 * and the reply writer. Each caller passes `invalid`, which builds its own error (with its own code/status)
 * for bad input.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type JsonBody = Record<string, unknown>;

/** Builds the caller's error for bad input (it becomes a 4xx reply). */
export type InvalidInput = (message: string) => Error;

export interface LoopbackHttpServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 only: the control interfaces are for a test or an operator on the same machine. */
export async function listenLoopback(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
): Promise<LoopbackHttpServer> {
  const server = createServer((req, res) => void handle(req, res));
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

/** A string reply goes out as text (with a final newline when `textNewline`), anything else as JSON. */
export function sendReply(res: ServerResponse, status: number, data: unknown, opts: { textNewline?: boolean } = {}): void {
  const text = typeof data === "string";
  res.writeHead(status, { "content-type": text ? "text/plain; charset=utf-8" : "application/json" });
  res.end(text ? (opts.textNewline ? `${data}\n` : data) : JSON.stringify(data));
}

export function bodyString(body: JsonBody, key: string, invalid: InvalidInput): string {
  const v = body[key];
  if (typeof v !== "string") throw invalid(`"${key}" must be a string`);
  return v;
}

export function bodyBoolean(body: JsonBody, key: string, invalid: InvalidInput): boolean {
  const v = body[key];
  if (typeof v !== "boolean") throw invalid(`"${key}" must be true or false`);
  return v;
}

/** Reads a JSON object body of at most `maxBytes`; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, invalid: InvalidInput): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw invalid(`body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid("body is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid("body must be a JSON object");
  return json as JsonBody;
}
