/**
 * The TtsEngine port on espeak-ng (ARCHITECTURE §6: Vietnamese first, `-v vi`). The text goes in on
 * stdin, never through a shell or as an argument, so no text can be taken for an option.
 */
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock, type Clock } from "@loa/shared";
import { mediaError } from "../../media/errors.js";
import type { TtsEngine, TtsOptions } from "../../media/ports.js";
import { runProcess } from "../ffmpeg/run.js";

export interface EspeakNgDeps {
  /** Default "espeak-ng" from PATH. */
  bin?: string;
  /** Default "vi" (Northern Vietnamese); "vi-vn-x-central" and "vi-vn-x-south" are the other accents. */
  defaultVoice?: string;
  timeoutMs?: number;
  clock?: Clock;
}

/** espeak-ng voice names: letters, digits, `-`, `_`, and `+variant`. */
const VOICE = /^[A-Za-z0-9][A-Za-z0-9_+-]{0,63}$/;
/** A WAV header alone is 44 bytes; anything not larger holds no speech. */
const WAV_HEADER_BYTES = 44;

export class EspeakNgTts implements TtsEngine {
  readonly id = "espeak-ng";
  private readonly bin: string;
  private readonly defaultVoice: string;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private found: boolean | undefined;

  constructor(deps: EspeakNgDeps = {}) {
    this.bin = deps.bin ?? "espeak-ng";
    this.defaultVoice = deps.defaultVoice ?? "vi";
    this.timeoutMs = deps.timeoutMs ?? 120_000;
    this.clock = deps.clock ?? new SystemClock();
  }

  /** True when the binary runs. A positive answer is remembered; a negative one is asked again next time. */
  async available(): Promise<boolean> {
    if (this.found) return true;
    try {
      const r = await runProcess(this.bin, ["--version"], { timeoutMs: 10_000, clock: this.clock });
      this.found = r.code === 0;
    } catch {
      this.found = false;
    }
    return this.found;
  }

  async synthesize(text: string, opts: TtsOptions = {}): Promise<string> {
    const voice = opts.voice ?? this.defaultVoice;
    if (!VOICE.test(voice)) throw mediaError("tts_unavailable", { detail: `no voice named "${voice}"` });
    const out = join(opts.dir ?? tmpdir(), `tts-${randomUUID()}.wav`);
    const args = ["-v", voice, "-b", "1", "-w", out, "--stdin"];
    const r = await runProcess(this.bin, args, { timeoutMs: this.timeoutMs, clock: this.clock, input: text });
    if (r.code !== 0 || r.timedOut) {
      const reason = r.timedOut ? "timed out" : r.stderr.trim() || `exit ${String(r.code)}`;
      const detail = /voice/i.test(reason) ? `no voice named "${voice}"` : "espeak-ng failed";
      throw mediaError("tts_unavailable", { detail }, { reason });
    }
    const size = await stat(out).then((s) => s.size, () => 0);
    if (size <= WAV_HEADER_BYTES) throw mediaError("silent", {}, { reason: "espeak-ng produced no speech" });
    return out;
  }
}
