import type { HandledPlays } from "../core/player-types.js";

/** HandledPlays kept in a Set (the real one persists it next to the outbox). */
export class MemoryHandledPlays implements HandledPlays {
  readonly ids: Set<string>;

  constructor(initial: Iterable<string> = []) {
    this.ids = new Set(initial);
  }

  isHandled(playId: string): boolean {
    return this.ids.has(playId);
  }

  markHandled(playId: string): void {
    this.ids.add(playId);
  }
}
