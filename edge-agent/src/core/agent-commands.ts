/**
 * What each remote command does on this receiver (ARCHITECTURE §3 cmd): the CommandTargets the
 * CommandHandler dispatches to. Each resolves when the command took effect (a play_now: when the play started,
 * or after `playNowWaitMs` while its media is still on the way) and rejects with a LoaError whose code the
 * operator sees in `cmd/res`.
 */
import { LoaError, errorMessage, type CommandArgs, type MediaRef } from "@loa/shared";
import type { Logger } from "pino";
import type { Amplifier } from "../ports/amplifier.js";
import type { CommandResult, CommandTargets } from "./commands.js";
import type { Player } from "./player.js";
import type { PlayerEvent } from "./player-types.js";
import type { TimeSync } from "./time-sync.js";

/** `no_amplifier` (amp.transport none), `player_busy` (power off while playing), `play_done`, play_failed reasons. */
export class AgentCommandError extends LoaError {}

export interface AgentCommandDeps {
  player: Pick<Player, "playNow" | "stop" | "setVolume" | "testTone" | "current" | "busy">;
  /** null: no amplifier to drive. */
  amp: Amplifier | null;
  timeSync: Pick<TimeSync, "sync">;
  /** Start fetching media for a play_now (the cache may not have it); kept until that play ends. */
  fetchMedia: (media: MediaRef, playId: string) => Promise<unknown>;
  /** Resolves with the first play_started / play_failed / play_missed of `playId`, or undefined after `ms`. */
  outcomeOf: (playId: string, ms: number) => Promise<PlayerEvent | undefined>;
  /** The play's state if it was already handled (played, failed...), for a refused play_now. */
  stateOf: (playId: string) => string | undefined;
  defaultVolume: number;
  log: Logger;
  /** How long play_now waits for the play to start before answering (default 10 000). */
  playNowWaitMs?: number;
}

const MAX_ID = 128;

export function agentCommandTargets(deps: AgentCommandDeps): CommandTargets {
  let volume = deps.defaultVolume;
  return {
    playNow: (args, cmdId) => playNow(deps, args, cmdId),
    stop: (_args, cmdId) => Promise.resolve({ stopped: deps.player.stop(cmdId) }),
    setVolume: (args) => {
      deps.player.setVolume(args.volume);
      volume = args.volume;
      return Promise.resolve({ volume });
    },
    ampPower: (args) => ampPower(deps, args),
    testTone: async (args) => {
      const r = await deps.player.testTone({ freqHz: args.freqHz ?? 1000, durationMs: args.durationMs ?? 3000, volume: args.volume ?? volume });
      return { startedAt: r.startedAt, playedMs: r.playedMs, interruptedBy: r.interruptedBy?.kind ?? null, ampError: r.ampError };
    },
    syncTime: async () => {
      const r = await deps.timeSync.sync({ force: true });
      return { offsetMs: r.offsetMs, rttMs: r.rttMs, samples: r.samples };
    },
  };
}

async function playNow(deps: AgentCommandDeps, args: CommandArgs<"play_now">, cmdId: string): Promise<CommandResult> {
  const playId = args.playId ?? `cmd:${cmdId}`.slice(0, MAX_ID);
  // Fetching runs on; the player waits for the media (emergency: without limit).
  deps.fetchMedia(args.media, playId).catch((err: unknown) => deps.log.warn({ playId, err: errorMessage(err) }, "play_now media not fetched"));
  const outcome = deps.outcomeOf(playId, deps.playNowWaitMs ?? 10_000);
  const accepted = deps.player.playNow({
    playId,
    priority: args.priority,
    media: args.media,
    ...(args.volume !== undefined ? { volume: args.volume } : {}),
  });
  if (!accepted) {
    const state = deps.stateOf(playId);
    if (state) throw new AgentCommandError("play_done", `play ${playId} was already handled (${state})`);
    return { playId, status: "scheduled" };
  }
  const e = await outcome;
  if (!e) return { playId, status: "waiting" };
  if (e.type === "play_started") return { playId, status: "started", startedAt: e.startedAt };
  const reason = e.type === "play_failed" ? e.reason : "missed";
  throw new AgentCommandError(reason, `play ${playId} did not start: ${reason}`);
}

async function ampPower(deps: AgentCommandDeps, args: CommandArgs<"amp_power">): Promise<CommandResult> {
  if (!deps.amp) throw new AgentCommandError("no_amplifier", "this receiver has no amplifier to drive (amp.transport none)");
  if (args.on) {
    await deps.amp.powerOn();
    return { on: true };
  }
  if (deps.player.busy()) {
    const on = deps.player.current();
    throw new AgentCommandError("player_busy", on ? `${on.playId} is playing: stop it first` : "a play starts within the next moment");
  }
  await deps.amp.powerOff();
  return { on: false };
}
