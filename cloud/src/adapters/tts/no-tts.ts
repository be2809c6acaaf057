/** A TtsEngine for servers without any: always unavailable, so TTS requests get a clear 503. */
import { mediaError } from "../../media/errors.js";
import type { TtsEngine } from "../../media/ports.js";

export class NoTts implements TtsEngine {
  readonly id = "none";

  available(): Promise<boolean> {
    return Promise.resolve(false);
  }

  synthesize(): Promise<string> {
    return Promise.reject(mediaError("tts_unavailable", { detail: "no TTS engine is installed" }));
  }
}
