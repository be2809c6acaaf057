/** Log in over the REST API (ARCHITECTURE §7) and return the session cookie (`name=value`) for later requests. */
export async function loginCookie(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
  if (!res.ok) throw new Error(`login as ${username}: ${res.status}`);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

export interface SessionReply<T> {
  status: number;
  /** A 2xx status. */
  ok: boolean;
  text: string;
  /** The body parsed as JSON (undefined when empty or not JSON). */
  json: T;
}

/** A request in the session of `cookie`, `body` sent as JSON; whatever the status, the reply as it came. */
export async function sessionRequest<T = unknown>(baseUrl: string, cookie: string, method: string, path: string, body?: unknown): Promise<SessionReply<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, ok: res.ok, text, json: jsonOf(text) as T };
}

/**
 * The body parsed, or undefined when empty or not JSON (as cloud/src/http/harness.fixture.ts replyOf, not
 * imported from there: it would load the cloud's HTTP app into tests that only run the binary).
 */
function jsonOf(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
