// A tiny observable value and its hook: enough state management for a panel of this size.
import { useEffect, useReducer } from "./html.js";

export function createStore(initial) {
  let value = initial;
  const subs = new Set();
  return {
    get: () => value,
    set(next) {
      value = typeof next === "function" ? next(value) : next;
      for (const fn of [...subs]) fn(value);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

/** Re-render the calling component whenever the store changes. */
export function useStore(store) {
  const [, force] = useReducer((n) => n + 1, 0);
  useEffect(() => store.subscribe(() => force(0)), [store]);
  return store.get();
}
