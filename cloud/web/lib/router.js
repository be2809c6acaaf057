// Hash router: `#/devices/abc` → { name: "device", params: { id: "abc" } }. No server routes needed.
import { createStore } from "./store.js";

const ROUTES = [
  ["login", /^\/login$/],
  ["home", /^\/?$/],
  ["bulletins", /^\/bulletins$/],
  ["broadcasts", /^\/broadcasts$/],
  ["broadcastNew", /^\/broadcasts\/new$/],
  ["calendar", /^\/calendar$/],
  ["broadcast", /^\/broadcasts\/(?<id>[^/]+)$/],
  ["devices", /^\/devices$/],
  ["deviceNew", /^\/devices\/new$/],
  ["device", /^\/devices\/(?<id>[^/]+)$/],
  ["reports", /^\/reports$/],
  ["admin", /^\/admin$/],
  ["users", /^\/admin\/users$/],
];

export function parseHash(hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  const query = Object.fromEntries(new URLSearchParams(qs));
  for (const [name, re] of ROUTES) {
    const m = re.exec(path);
    if (m) {
      const params = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      return { name, params, query, path };
    }
  }
  return { name: "notFound", params: {}, query, path };
}

export const routeStore = createStore(parseHash(location.hash));
window.addEventListener("hashchange", () => routeStore.set(parseHash(location.hash)));

export function navigate(path) {
  if (location.hash === `#${path}`) routeStore.set(parseHash(location.hash));
  else location.hash = path;
}
