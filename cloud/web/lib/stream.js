// The live stream `GET /api/v1/stream` (ARCHITECTURE §7 SSE): one EventSource for the whole panel; screens
// subscribe by event type. EventSource reconnects by itself; the server's first frames after a reconnect are
// a fresh presence snapshot, so nothing needs replaying here.
import { useEffect, useRef } from "./html.js";
import { createStore } from "./store.js";

const TYPES = ["presence", "health", "fault", "command", "play"];
const listeners = new Map(TYPES.map((type) => [type, new Set()]));
let source = null;

/** "connecting" | "open" | "down": shown as a small dot in the header. */
export const streamState = createStore("down");

function dispatch(type, ev) {
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return;
  }
  for (const fn of [...listeners.get(type)]) fn(data);
}

export function openStream() {
  if (source) return;
  streamState.set("connecting");
  source = new EventSource("/api/v1/stream");
  source.onopen = () => streamState.set("open");
  source.onerror = () => streamState.set(source && source.readyState === EventSource.CLOSED ? "down" : "connecting");
  for (const type of TYPES) source.addEventListener(type, (ev) => dispatch(type, ev));
}

export function closeStream() {
  source?.close();
  source = null;
  streamState.set("down");
}

export function onStream(type, fn) {
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}

/** Subscribe while mounted; the latest `fn` is always the one called (no stale closures). */
export function useStream(type, fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => onStream(type, (d) => ref.current(d)), [type]);
}
