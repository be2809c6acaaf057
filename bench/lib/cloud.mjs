/**
 * Starting the compiled cloud for a benchmark: as a child process (cloud-child.mjs) when its own figures
 * matter, and a small REST client acting as the admin through an API token (ARCHITECTURE §7).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./cloud-child.mjs", import.meta.url));
export const ADMIN_PASSWORD = "bench-admin-password";

/**
 * Fork a cloud over `dataDir` and wait for it to be ready. Ports 0 pick free ones; pass the previous ones to
 * restart a cloud where its receivers expect it.
 */
export function spawnCloud({ dataDir, httpPort = 0, mqttPort = 0, logLevel = "warn", env = {}, execArgv = [] }) {
  const child = fork(CHILD, [JSON.stringify({ dataDir, httpPort, mqttPort, logLevel, adminPassword: ADMIN_PASSWORD, env })], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // LOA_BENCH_CLOUD_NODE_FLAGS: node flags for the cloud (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
    execArgv: [...execArgv, ...(process.env.LOA_BENCH_CLOUD_NODE_FLAGS ?? "").split(" ").filter(Boolean)],
  });
  const mediaListeners = new Map();
  let statsWaiter;
  let onlineWaiter;
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.on("message", (m) => {
    if (m?.type === "media-ready") mediaListeners.get(m.sha256)?.(m.deviceId, m.at);
    else if (m?.type === "stats") statsWaiter?.(m);
    else if (m?.type === "online-times") onlineWaiter?.(m.times);
  });
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`the cloud exited (${code}) before it was ready`));
    child.once("exit", onExit);
    child.once("message", (m) => {
      if (m?.type !== "ready") return reject(new Error(`unexpected first message from the cloud: ${JSON.stringify(m)}`));
      child.off("exit", onExit);
      resolve({
        pid: child.pid,
        httpUrl: m.httpUrl,
        httpPort: m.httpPort,
        mqttPort: m.mqttPort,
        mqttUrl: `mqtt://127.0.0.1:${m.mqttPort}`,
        startMs: m.startMs,
        adminPassword: m.adminPassword,
        exited,
        /** Lag/RSS/CPU since the last reset (and reset now when asked). */
        stats(reset = false) {
          return new Promise((res) => {
            statsWaiter = res;
            child.send({ type: "stats", reset });
          });
        },
        /** Epoch ms at which each device first came online in this cloud. */
        onlineTimes() {
          return new Promise((res) => {
            onlineWaiter = res;
            child.send({ type: "online-times" });
          });
        },
        /** Call `onReady(deviceId, atMs)` for each device's first media_ready of `sha256`. */
        watchMedia(sha256, onReady) {
          mediaListeners.set(sha256, onReady);
          child.send({ type: "watch-media", sha256 });
        },
        async close() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.send({ type: "close" });
          const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
          await exited;
          clearTimeout(timer);
        },
        /** A crash: no clean close, no DISCONNECT to anyone. */
        async kill() {
          child.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}

export class ApiError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} → ${status}: ${body.slice(0, 300)}`);
    this.status = status;
  }
}

/** REST as one caller (Bearer token or session cookie). */
export class Api {
  constructor(baseUrl, headers = {}) {
    this.baseUrl = baseUrl;
    this.headers = headers;
  }

  async request(method, path, body) {
    const init = { method, headers: { accept: "application/json", ...this.headers } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    if (!res.ok) throw new ApiError(method, path, res.status, text);
    return text ? JSON.parse(text) : undefined;
  }

  get(path) {
    return this.request("GET", path);
  }
  post(path, body) {
    return this.request("POST", path, body);
  }
  patch(path, body) {
    return this.request("PATCH", path, body);
  }
}

/** Log in as admin and make an API token (ARCHITECTURE §7: `POST /api/v1/tokens` after a session login). */
export async function adminApi(httpUrl, password = ADMIN_PASSWORD) {
  const res = await fetch(`${httpUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  if (!res.ok) throw new Error(`admin login failed: ${res.status} ${await res.text()}`);
  const cookie = /loa_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "");
  if (!cookie) throw new Error("login answered without a session cookie");
  const session = new Api(httpUrl, { cookie: `loa_session=${cookie[1]}` });
  const { token } = await session.post("/api/v1/tokens", { name: `bench ${process.pid}` });
  return new Api(httpUrl, { authorization: `Bearer ${token}` });
}
