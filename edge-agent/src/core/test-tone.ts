/**
 * cmd test_tone (ARCHITECTURE §3): a generated sine through amplifier and sink, for an operator checking a
 * receiver's chain. It never cuts a play: it is refused while one is on air, and yields to any play that
 * becomes due while it sounds. It emits no play events (it is not a Play); the result goes to cmd/res.
 */
import { LoaError, errorMessage, type Clock } from "@loa/shared";
import type { AudioSink, Decoder, PlayHandle } from "../ports/audio.js";
import type { AmpControl } from "./amp-control.js";
import { TONE_RANK, type Arbiter, type Contender, type Interrupter } from "./priorities.js";
import type { CurrentPlay, ToneRequest, ToneResult } from "./player-types.js";

/** `player_busy`: a play is on air; `invalid_args`: a tone parameter is out of range; `player_closed`. */
export class PlayerError extends LoaError {}

export interface ToneContext {
  clock: Clock;
  amp: AmpControl;
  arbiter: Arbiter;
  decoder: Decoder;
  sink: AudioSink;
  cloudNow: () => number;
  rest: () => void;
  /** Set while a tone sounds. */
  current?: CurrentPlay | undefined;
  interrupt?: ((by: Interrupter) => void) | undefined;
  running?: Promise<unknown> | undefined;
}

export function validateTone(req: ToneRequest): void {
  const bad =
    !(req.freqHz >= 20 && req.freqHz <= 20_000) ? "freqHz must be 20-20000" :
    !(req.durationMs >= 1 && req.durationMs <= 60_000) ? "durationMs must be 1-60000" :
    !(Number.isInteger(req.volume) && req.volume >= 0 && req.volume <= 100) ? "volume must be an integer 0-100" : null;
  if (bad) throw new PlayerError("invalid_args", `test tone: ${bad}`, { ...req });
}

export async function playTone(ctx: ToneContext, req: ToneRequest, closed: boolean): Promise<ToneResult> {
  if (closed) throw new PlayerError("player_closed", "the player is shut down");
  validateTone(req);
  const holder = ctx.arbiter.holder;
  if (holder || ctx.running) throw new PlayerError("player_busy", `cannot play a test tone: ${holder?.id ?? "another tone"} is playing`);
  const running = runTone(ctx, req);
  ctx.running = running;
  try {
    return await running;
  } finally {
    ctx.running = undefined;
    ctx.rest();
  }
}

async function runTone(ctx: ToneContext, req: ToneRequest): Promise<ToneResult> {
  const id = `test_tone:${Math.round(ctx.cloudNow())}`;
  let handle: PlayHandle | undefined;
  let interruptedBy: Interrupter | null = null;
  let ampError: string | null = null;
  const tone: Contender = { id, rank: TONE_RANK, atMs: ctx.cloudNow(), interrupt: (by) => {
    interruptedBy ??= by;
    handle?.stop();
  } };
  ctx.interrupt = tone.interrupt;
  try {
    const poweredNow = await ctx.amp.prepare(req.volume).catch((err: unknown) => {
      ampError = errorMessage(err);
      return false;
    });
    if (poweredNow) await ctx.clock.sleep(ctx.amp.warmupMs); // do not clip the tone in the warm-up
    if (interruptedBy !== null) return { startedAt: new Date(ctx.cloudNow()).toISOString(), playedMs: 0, interruptedBy, ampError };
    await ctx.arbiter.acquire(tone, new AbortController().signal);
    const job = ctx.decoder.decode({ kind: "tone", freqHz: req.freqHz, durationMs: req.durationMs });
    try {
      ctx.amp.startPlay(req.volume).catch((err: unknown) => (ampError ??= errorMessage(err)));
      handle = ctx.sink.play(job.pcm, { playId: id, durationMs: req.durationMs });
      if (interruptedBy !== null) handle.stop();
      const started = await handle.started;
      const startedAt = new Date(started + ctx.cloudNow() - ctx.clock.now()).toISOString();
      ctx.current = { kind: "test_tone", playId: id, since: startedAt, priority: "normal" };
      const { playedMs } = await handle.done;
      return { startedAt, playedMs, interruptedBy, ampError };
    } finally {
      job.kill();
      ctx.arbiter.release(tone);
    }
  } finally {
    ctx.current = undefined;
    ctx.interrupt = undefined;
  }
}
