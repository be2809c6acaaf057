/**
 * The demo acts as the admin through an API token (ARCHITECTURE §7: `POST /api/v1/tokens` after a session
 * login), kept in demo.json and checked on every run; a refused one is replaced.
 */
import { ApiTokenCreated, LoaError, MeResponse } from "@loa/shared";
import { CloudApiError, RestClient } from "../fleet/rest-client.js";
import type { DemoFile } from "./demo-file.js";

export class DemoLoginError extends LoaError {
  constructor(message: string) {
    super("demo_login_refused", message);
  }
}

async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status === 401 || res.status === 429) {
    throw new DemoLoginError(
      `the cloud refused the demo's admin password (${res.status}). This data folder holds a cloud the demo did not create, ` +
        "or demo.json was changed: set LOA_DATA_DIR to another folder (or remove this one) to start from scratch.",
    );
  }
  if (!res.ok) throw new CloudApiError(`http_${res.status}`, res.status, `login failed: ${res.status} ${await res.text()}`);
  const cookie = /loa_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "");
  if (!cookie) throw new CloudApiError("cloud_reply_invalid", res.status, "login answered without a session cookie");
  return `loa_session=${cookie[1] ?? ""}`;
}

async function newToken(baseUrl: string, cookie: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", cookie },
    body: JSON.stringify({ name: "npm run demo" }),
  });
  const parsed = ApiTokenCreated.safeParse(await res.json().catch(() => undefined));
  if (!res.ok || !parsed.success) throw new CloudApiError(`http_${res.status}`, res.status, `could not create an API token (${res.status})`);
  return parsed.data.token;
}

/** A client acting as admin: the remembered token when the cloud still accepts it, else a new one. */
export async function adminClient(baseUrl: string, demo: DemoFile): Promise<RestClient> {
  const base = new RestClient({ baseUrl });
  if (demo.apiToken) {
    try {
      const me = await base.withToken(demo.apiToken).get("/api/v1/me", MeResponse);
      if (me.user.role === "admin") return base.withToken(demo.apiToken);
    } catch (err) {
      if (!(err instanceof CloudApiError) || err.status !== 401) throw err;
    }
  }
  const cookie = await login(baseUrl, "admin", demo.adminPassword);
  demo.apiToken = await newToken(baseUrl, cookie);
  return base.withToken(demo.apiToken);
}
