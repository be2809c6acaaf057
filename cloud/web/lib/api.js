// The REST API (docs/api.md): JSON in and out, errors as problem+json turned into ApiError.
import { lang, t } from "../i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || null;
  }
}

/** Someone listening for "the session is gone" (app.js sends the user to the login screen). */
let onUnauthorized = () => undefined;
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function parseProblem(res) {
  const type = res.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }
  return null;
}

export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, null);
  }
  if (res.status === 204) return null;
  if (!res.ok) {
    const problem = await parseProblem(res);
    if (res.status === 401 && !path.endsWith("/auth/login")) onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.text();
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

/** `?a=1&b=2` from the defined entries of an object. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * A multipart upload with progress (fetch has no upload progress; XMLHttpRequest does).
 * Resolves with the JSON body; rejects with ApiError like api().
 */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        if (xhr.status === 401) onUnauthorized();
        reject(new ApiError(xhr.status, body));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, null));
    xhr.send(form);
  });
}

/**
 * What to show a person for an error: the Vietnamese `detailVi` when the panel speaks Vietnamese and the
 * API gave one, else `detail`; field errors are listed after it.
 */
export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err?.message || err);
  if (err.status === 0) return t("error.network");
  const p = err.problem;
  if (!p) return t("error.http", { status: err.status });
  const main = lang() === "vi" && p.detailVi ? p.detailVi : p.detail || p.title || t("error.http", { status: err.status });
  return main;
}

/** Field errors of a 422, for listing under the message. */
export function fieldErrors(err) {
  return err instanceof ApiError && Array.isArray(err.problem?.errors) ? err.problem.errors : [];
}
