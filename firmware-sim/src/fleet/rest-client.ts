/**
 * A small client of the cloud's REST API (ARCHITECTURE §7), Bearer-token authenticated, used by the fleet to
 * provision its receivers and by the demo to seed the cloud. Replies are validated with the shared schemas
 * (STYLE: validate at every boundary); errors carry the problem+json `code` and the HTTP status.
 */
import { LoaError } from "@loa/shared";

/** What a shared zod schema offers (structural, so this module needs no zod import). */
export interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export class CloudApiError extends LoaError {
  /** HTTP status, or 0 when the cloud could not be reached. */
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, { status }, options);
    this.status = status;
  }
}

export interface RestClientDeps {
  /** `http://host:port` of the cloud. */
  baseUrl: string;
  /** API token (`loa_…`) or undefined for the login call. */
  token?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export type Body = { json: unknown } | { form: FormData } | undefined;

export class RestClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(deps: RestClientDeps) {
    this.baseUrl = deps.baseUrl.replace(/\/+$/, "");
    this.token = deps.token;
    this.timeoutMs = deps.timeoutMs ?? 30_000;
  }

  withToken(token: string): RestClient {
    return new RestClient({ baseUrl: this.baseUrl, token, timeoutMs: this.timeoutMs });
  }

  get<T>(path: string, schema: Schema<T>): Promise<T> {
    return this.request("GET", path, undefined, schema);
  }

  post<T>(path: string, body: Body, schema: Schema<T>): Promise<T> {
    return this.request("POST", path, body, schema);
  }

  async request<T>(method: string, path: string, body: Body, schema: Schema<T>): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    if (!res.ok) throw problemError(method, path, res.status, text);
    let json: unknown = undefined;
    if (text !== "") {
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new CloudApiError("cloud_reply_invalid", res.status, `${method} ${path}: the reply is not JSON`, { cause: err });
      }
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "$"}: ${i.message}`).join("; ");
      throw new CloudApiError("cloud_reply_invalid", res.status, `${method} ${path}: unexpected reply (${issues})`);
    }
    return parsed.data;
  }

  private async send(method: string, path: string, body: Body): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers["authorization"] = `Bearer ${this.token}`;
    let payload: string | FormData | undefined;
    if (body && "json" in body) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body.json);
    } else if (body) {
      payload = body.form;
    }
    try {
      return await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload ?? null, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new CloudApiError("cloud_unreachable", 0, `${method} ${this.baseUrl}${path}: ${why}`, { cause: err });
    }
  }
}

/** Accepts any JSON (for replies we do not read). */
export const ANY: Schema<unknown> = { safeParse: (value) => ({ success: true, data: value }) };

function problemError(method: string, path: string, status: number, text: string): CloudApiError {
  let code = `http_${status}`;
  let detail = text.slice(0, 300);
  try {
    const p = JSON.parse(text) as { code?: unknown; detail?: unknown; errors?: { path: string; message: string }[] };
    if (typeof p.code === "string") code = p.code;
    if (typeof p.detail === "string") detail = p.detail;
    if (Array.isArray(p.errors) && p.errors.length > 0) detail += ` (${p.errors.map((e) => `${e.path}: ${e.message}`).join("; ")})`;
  } catch {
    // not problem+json: keep the raw text
  }
  return new CloudApiError(code, status, `${method} ${path}: ${status} ${detail}`);
}
