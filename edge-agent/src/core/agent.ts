/**
 * The receiver (ARCHITECTURE §3, §5, §6): wires the link, the plan store, the media cache and its fetcher,
 * the player, the amplifier and its monitor, the outbox and its sender, commands, time sync and telemetry.
 * Core only: every piece of hardware and network comes in through `deps` (main.ts builds the real ones,
 * tests and the fleet simulator their own).
 *
 * start(): mute the amplifier before anything else (§5 safety); open outbox, media cache and plan store;
 * report plays a crash left behind (a play cut by the crash is play_failed, never lost, with a new seq);
 * give the persisted plan to the player (a reboot without network still plays it; plays whose time passed
 * while the receiver was off are reported play_missed); then connect (birth with a new bootId) and sync time.
 * stop() (SIGTERM): stop playback (play_interrupted), ramp down, mute, power off, flush the outbox to disk,
 * publish the offline status, disconnect.
 */
import { errorMessage, type MediaRef, type PlanPayload, type TimerHandle } from "@loa/shared";
import type { Logger } from "pino";
import type { Link } from "../ports/link.js";
import { agentCommandTargets } from "./agent-commands.js";
import { AgentParts, type PartsDeps } from "./agent-parts.js";
import { CommandHandler } from "./commands.js";
import type { PlayerEvent } from "./player-types.js";
import type { AgentEvent } from "./reporter.js";

export { DEFAULT_AGENT_OPTIONS, type AgentOptions } from "./agent-parts.js";

/** Everything the parts need (see PartsDeps), plus how to leave the process. */
export interface AgentDeps extends PartsDeps {
  /** Leave the process with `code` (the reboot command: 75, so systemd restarts the agent). */
  exit: (code: number) => void | Promise<void>;
}

export interface AgentStats {
  plansApplied: number;
  plansIgnored: number;
  link: ReturnType<Link["stats"]>;
  outbox: ReturnType<AgentParts["outbox"]["stats"]>;
  events: ReturnType<AgentParts["sender"]["stats"]>;
  media: ReturnType<AgentParts["fetcher"]["stats"]> & ReturnType<AgentParts["cache"]["stats"]>;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

export class Agent {
  /** The parts, for telemetry, tests and the fleet simulator. */
  readonly parts: AgentParts;
  readonly commands: CommandHandler;
  private readonly log: Logger;
  private state: State = "new";
  private planChain: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly playerListeners = new Set<(e: PlayerEvent) => void>();
  /** Media of play_now plays still to come (sha256 → playId): kept pinned and fetched across plan changes. */
  private readonly nowMedia = new Map<string, string>();
  private plansApplied = 0;
  private plansIgnored = 0;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;

  constructor(private readonly deps: AgentDeps) {
    this.log = deps.log.child({ ns: "edge.agent" });
    this.parts = new AgentParts(deps, {
      onPlayerEvent: (e) => this.handlePlayerEvent(e),
      onMediaReady: (sha) => this.onMediaReady(sha),
      onSync: () => this.parts.player.reschedule(),
    });
    const p = this.parts;
    this.commands = new CommandHandler({
      link: deps.link,
      clock: p.timeSync.clock,
      log: deps.log.child({ ns: "edge.cmd" }),
      exit: deps.exit,
      clockReady: () => p.clockReady,
      handlerTimeoutMs: 75_000,
      targets: agentCommandTargets({
        player: p.player,
        amp: deps.amp,
        timeSync: p.timeSync,
        fetchMedia: (media, playId) => this.fetchForPlayNow(media, playId),
        outcomeOf: (playId, ms) => this.outcomeOf(playId, ms),
        stateOf: (playId) => p.plans.play(playId)?.status,
        defaultVolume: p.options.defaultVolume,
        log: deps.log.child({ ns: "edge.cmd" }),
      }),
    });
  }

  get running(): boolean {
    return this.state === "running";
  }

  /** Once; after stop() it does nothing (build a new Agent to start again, as a reboot would). */
  start(): Promise<void> {
    if (this.state !== "new" && !this.starting) return Promise.resolve();
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.state = "starting";
    const p = this.parts;
    await p.muteAmp("agent start");
    await Promise.all([p.outbox.open(), p.cache.open()]);
    const opened = await p.plans.open();
    await p.reporter.recover();
    if (opened.plan) await this.usePlan(opened.plan, opened.plan);
    this.listen();
    p.sender.start();
    p.fetcher.start();
    this.commands.start();
    p.monitor?.start();
    p.telemetry.start();
    p.timeSync.start();
    await this.deps.link.start();
    this.state = "running";
    this.log.info({ bootId: this.deps.link.bootId, plan: opened.plan?.version ?? null, recovered: opened.recovered.length }, "agent started");
  }

  /** SIGTERM: safe stop; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** Called with every player event (tests, the fleet simulator); returns the unsubscribe function. */
  onPlayerEvent(listener: (e: PlayerEvent) => void): () => void {
    this.playerListeners.add(listener);
    return () => this.playerListeners.delete(listener);
  }

  /** Resolves once every plan received so far is handled and every event is in the outbox (tests). */
  async idle(): Promise<void> {
    await this.planChain;
    await this.parts.reporter.idle();
  }

  stats(): AgentStats {
    const p = this.parts;
    return {
      plansApplied: this.plansApplied,
      plansIgnored: this.plansIgnored,
      link: this.deps.link.stats(),
      outbox: p.outbox.stats(),
      events: p.sender.stats(),
      media: { ...p.fetcher.stats(), ...p.cache.stats() },
    };
  }

  private async doStop(): Promise<void> {
    if (this.state === "new") {
      this.state = "stopped";
      return;
    }
    // Stopping half way through start would leave parts running: let start finish (or fail) first.
    await this.starting?.catch(() => undefined);
    this.state = "stopping";
    const p = this.parts;
    this.log.info("agent stopping");
    for (const u of this.unsubscribe.splice(0)) u();
    p.telemetry.stop();
    p.timeSync.stop();
    this.commands.stop();
    p.fetcher.stop();
    await p.player.shutdown();
    p.monitor?.stop();
    await this.planChain;
    await p.reporter.idle();
    await p.outbox.close();
    await p.cache.close();
    p.sender.stop();
    await this.deps.link.stop();
    this.state = "stopped";
    this.log.info({ outbox: p.outbox.depth() }, "agent stopped");
  }

  private listen(): void {
    const link = this.deps.link;
    this.unsubscribe.push(
      link.on("plan", (plan) => this.onPlan(plan)),
      link.on("online", ({ connects }) => this.onOnline(connects)),
      link.on("offline", ({ reason }) => this.log.warn({ reason }, "link offline: playing on from the stored plan")),
    );
  }

  /** Reconnect safety (§5): mute first when nothing plays, then resend what the cloud has not acked. */
  private onOnline(connects: number): Promise<void> {
    // busy(), not current(): a play armed to start within armAheadMs has already asked for the unmute.
    const mute = connects > 1 && !this.parts.player.busy() ? this.parts.muteAmp("link reconnect") : Promise.resolve();
    return mute.then(() => this.parts.sender.reconnected());
  }

  private onPlan(plan: PlanPayload): Promise<void> {
    const run = this.planChain.then(() => this.applyPlan(plan));
    this.planChain = run.catch((err: unknown) => this.log.error({ err: errorMessage(err), version: plan.version }, "plan not applied"));
    return this.planChain;
  }

  private async applyPlan(plan: PlanPayload): Promise<void> {
    const previous = this.parts.plans.current();
    const res = await this.parts.plans.apply(plan);
    if (!res.applied) {
      this.plansIgnored++;
      const level = res.reason === "older_version" ? "warn" : "debug";
      this.log[level]({ version: plan.version, current: res.currentVersion }, `plan ignored (${res.reason})`);
      return;
    }
    this.plansApplied++;
    this.log.info({ version: res.version, added: res.added.length, removed: res.removed.length, changed: res.changed.length }, "plan applied");
    await this.parts.reporter.report({ type: "plan_applied", version: res.version });
    await this.usePlan(plan, previous);
  }

  /** Hand the plan to the player, pin its media, fetch what is missing; media already here and new to the plan is media_ready. */
  private async usePlan(plan: PlanPayload, previous: PlanPayload | null): Promise<void> {
    const p = this.parts;
    p.player.setPlan(plan.items);
    const media = new Map<string, MediaRef>(plan.items.map((i) => [i.media.sha256, i.media]));
    const keep = new Set([...media.keys(), ...this.nowMedia.keys()]);
    await p.cache.setPinned(keep);
    p.fetcher.retain(keep);
    const known = new Set(previous?.items.map((i) => i.media.sha256));
    for (const ref of media.values()) {
      const ready = await p.fetcher.want(ref).catch((err: unknown) => {
        this.log.error({ sha256: ref.sha256, err: errorMessage(err) }, "media download not started");
        return false;
      });
      if (ready && !known.has(ref.sha256)) await p.reporter.report({ type: "media_ready", sha256: ref.sha256 });
    }
  }

  private async fetchForPlayNow(media: MediaRef, playId: string): Promise<unknown> {
    if (!this.nowMedia.has(media.sha256)) {
      this.nowMedia.set(media.sha256, playId);
      await this.parts.cache.setPinned([...(this.parts.plans.current()?.items.map((i) => i.media.sha256) ?? []), ...this.nowMedia.keys()]);
    }
    return this.parts.fetcher.want(media);
  }

  private handlePlayerEvent(e: PlayerEvent): void {
    void this.parts.reporter.report(e);
    if (e.type !== "play_started" && e.type !== "amp_fault") {
      for (const [sha, playId] of this.nowMedia) if (playId === e.playId) this.nowMedia.delete(sha);
    }
    for (const l of [...this.playerListeners]) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, "player event listener threw");
      }
    }
  }

  private onMediaReady(sha256: string): void {
    void this.parts.reporter.report({ type: "media_ready", sha256 });
    this.parts.player.mediaReady(sha256);
  }

  /** The first start/fail/miss of `playId`, or undefined after `ms` (play_now's answer). */
  private outcomeOf(playId: string, ms: number): Promise<PlayerEvent | undefined> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const off = this.onPlayerEvent((e) => {
        if (!("playId" in e) || e.playId !== playId) return;
        if (e.type !== "play_started" && e.type !== "play_failed" && e.type !== "play_missed") return;
        finish(e);
      });
      const finish = (e: PlayerEvent | undefined): void => {
        off();
        timer?.cancel();
        resolve(e);
      };
      timer = this.deps.clock.setTimeout(() => finish(undefined), ms);
    });
  }
}

export type { AgentEvent };
