/**
 * Outbox → link (ARCHITECTURE §3 "Nothing lost", topics `events` and `ack`): the oldest pending batch
 * `{seq, events}` goes out on `events` (QoS 1), one batch in flight. An `ack {upToSeq}` lets the outbox forget
 * what it covers and sends the next batch. After a reconnect the oldest unacked batch is sent again, in order
 * (the cloud stores each `(deviceId, seq)` once, so a resend never double-counts). A batch neither acked nor
 * refused within `ackTimeoutMs` is sent again (the cloud may have lost it).
 *
 * Only events that pass the shared DeviceEvent schema leave the device: an event that does not (a bug, a
 * damaged journal) would block the outbox forever, so it is skipped on the wire, logged, and acknowledged
 * locally together with the batch around it.
 */
import { DeviceEvent, errorMessage, type Clock, type EventsPayload, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { Link } from "../ports/link.js";
import type { Outbox, OutboxBatch, OutboxEvent } from "./outbox.js";

export interface EventSenderDeps {
  outbox: Pick<Outbox, "pending" | "ack" | "onAppended">;
  link: Pick<Link, "publish" | "on" | "online">;
  clock: Clock;
  log: Logger;
  /** Resend the batch in flight when no ack came within this (default 30 000). */
  ackTimeoutMs?: number;
  /** Wait before retrying a publish the link refused while online (default 2000). */
  retryMs?: number;
  /** Most events per batch (default 100; the schema allows 500). */
  batchEvents?: number;
  /**
   * Resend on the link's `online` event itself (default true). The Agent sets false and calls
   * `reconnected()` once the amplifier is muted (§5: mute before anything else on a reconnect).
   */
  followOnline?: boolean;
}

export interface EventSenderStats {
  /** Batches handed to the link (resends included). */
  sent: number;
  resent: number;
  acks: number;
  /** Events dropped locally because they fail the schema. */
  unsendable: number;
}

interface InFlight {
  seq: number;
  timer: TimerHandle | undefined;
}

export class EventSender {
  private inFlight: InFlight | undefined;
  private retryTimer: TimerHandle | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private lastSentSeq = 0;
  private running = false;
  private readonly counts: EventSenderStats = { sent: 0, resent: 0, acks: 0, unsendable: 0 };

  constructor(private readonly deps: EventSenderDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const { link, outbox } = this.deps;
    this.unsubscribe.push(
      link.on("ack", (a) => this.onAck(a.upToSeq)),
      link.on("offline", () => this.clearInFlight()),
      outbox.onAppended(() => this.kick()),
    );
    if (this.deps.followOnline ?? true) this.unsubscribe.push(link.on("online", () => this.reconnected()));
    this.kick();
  }

  stop(): void {
    this.running = false;
    for (const u of this.unsubscribe.splice(0)) u();
    this.clearInFlight();
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  stats(): EventSenderStats {
    return { ...this.counts };
  }

  /** A (re)connect: whatever was in flight may be lost; start again from the oldest unacked batch. */
  reconnected(): void {
    this.clearInFlight();
    this.kick();
  }

  /** Send the oldest pending batch if nothing is in flight. */
  kick(): void {
    if (!this.running || this.inFlight || !this.deps.link.online) return;
    const batch = this.deps.outbox.pending(this.deps.batchEvents ?? 100);
    if (!batch) return;
    const payload = this.sendable(batch);
    if (!payload) {
      this.ackLocally(batch.seq);
      return;
    }
    const flight: InFlight = { seq: payload.seq, timer: undefined };
    this.inFlight = flight;
    this.counts.sent++;
    if (payload.seq <= this.lastSentSeq) this.counts.resent++;
    this.lastSentSeq = Math.max(this.lastSentSeq, payload.seq);
    this.deps.log.debug({ seq: payload.seq, events: payload.events.length }, "events batch sent");
    this.deps.link.publish("events", payload, { whenOffline: "reject" }).then(
      () => {
        if (this.inFlight !== flight) return;
        flight.timer = this.deps.clock.setTimeout(() => this.ackTimedOut(flight), this.deps.ackTimeoutMs ?? 30_000);
      },
      (err: unknown) => this.publishFailed(flight, err),
    );
  }

  private onAck(upToSeq: number): void {
    this.counts.acks++;
    this.deps.outbox.ack(upToSeq).then(
      () => {
        if (this.inFlight && upToSeq >= this.inFlight.seq) this.clearInFlight();
        this.kick();
      },
      (err: unknown) => this.deps.log.warn({ upToSeq, err: errorMessage(err) }, "ack not applied"),
    );
  }


  private ackTimedOut(flight: InFlight): void {
    if (this.inFlight !== flight) return;
    this.deps.log.warn({ seq: flight.seq }, "no ack for the events batch: sending it again");
    this.inFlight = undefined;
    this.kick();
  }

  private publishFailed(flight: InFlight, err: unknown): void {
    if (this.inFlight !== flight) return;
    this.inFlight = undefined;
    this.deps.log.debug({ seq: flight.seq, err: errorMessage(err) }, "events batch not published");
    // Offline: the next `online` resends. Online but refused (queue full): try again shortly.
    if (!this.deps.link.online || this.retryTimer) return;
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.deps.retryMs ?? 2_000);
  }

  private clearInFlight(): void {
    this.inFlight?.timer?.cancel();
    this.inFlight = undefined;
  }

  /** The batch with only schema-valid events; undefined when none is valid. */
  private sendable(batch: OutboxBatch): EventsPayload | undefined {
    const good: EventsPayload["events"] = [];
    for (const e of batch.events) {
      const checked = DeviceEvent.safeParse(e);
      if (checked.success) good.push(checked.data);
      else this.unsendable(e, checked.error.issues[0]?.message ?? "invalid");
    }
    const last = good[good.length - 1];
    return last ? { seq: last.seq, events: good } : undefined;
  }

  private unsendable(e: OutboxEvent, why: string): void {
    this.counts.unsendable++;
    this.deps.log.error({ seq: e.seq, type: e.type, why }, "outbox event fails the events schema: not sent");
  }

  /** Every event of the batch is unsendable: forget them here, or they would block the outbox forever. */
  private ackLocally(seq: number): void {
    this.deps.outbox.ack(seq).then(
      () => this.kick(),
      (err: unknown) => this.deps.log.error({ seq, err: errorMessage(err) }, "could not drop unsendable events"),
    );
  }
}
