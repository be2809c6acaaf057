/**
 * The receiver's real link (MqttJsLink), counting the events its outbox sends, for the fleet's summary.
 * Everything else is passed through unchanged.
 */
import type { Link, LinkEventName, LinkHandler, LinkStats, OutboundKind, PublishOptions } from "@loa/edge-agent";
import type { PayloadOf } from "@loa/shared";

export class CountingLink implements Link {
  /** Events published in batches (a batch resent after a reconnect counts again). */
  eventsSent = 0;

  constructor(private readonly inner: Link) {}

  get deviceId(): string {
    return this.inner.deviceId;
  }

  get bootId(): string {
    return this.inner.bootId;
  }

  get online(): boolean {
    return this.inner.online;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  async publish<K extends OutboundKind>(kind: K, payload: PayloadOf<K>, opts?: PublishOptions): Promise<void> {
    await this.inner.publish(kind, payload, opts);
    if (kind === "events") this.eventsSent += (payload as PayloadOf<"events">).events.length;
  }

  wantMedia(sha256: string): void {
    this.inner.wantMedia(sha256);
  }

  unwantMedia(sha256: string): void {
    this.inner.unwantMedia(sha256);
  }

  on<E extends LinkEventName>(event: E, handler: LinkHandler<E>): () => void {
    return this.inner.on(event, handler);
  }

  stats(): LinkStats {
    return this.inner.stats();
  }
}
