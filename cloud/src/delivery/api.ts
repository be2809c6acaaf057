/** What delivery offers the HTTP routes (broadcasts, plays, reports): one object built by createDelivery. */
import type { Broadcast } from "@loa/shared";
import type { PlayBook } from "./play-book.js";
import type { PlayNowResult } from "./play-now.js";
import type { ReplanResult } from "./plan-service.js";

export interface DeliveryApi {
  book: PlayBook;
  /** Rebuild plans and publish the changed ones; resolves once they are published. */
  replan(reason: string): Promise<ReplanResult>;
  /** play_now to every target of a `now` broadcast (nothing for others). */
  playNow(b: Broadcast): Promise<PlayNowResult>;
  /** Plays of a broadcast in the current plans. */
  plannedCount(broadcastId: string): number;
  /** Server zone (LOA_TZ): cron default and report times where an area sets none. */
  tz: string;
}
