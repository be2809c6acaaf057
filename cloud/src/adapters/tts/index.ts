import type { TtsEngine } from "../../media/ports.js";
import { EspeakNgTts, type EspeakNgDeps } from "./espeak-ng.js";
import { NoTts } from "./no-tts.js";

export { EspeakNgTts, type EspeakNgDeps } from "./espeak-ng.js";
export { NoTts } from "./no-tts.js";

/** espeak-ng when it is installed, otherwise NoTts (ARCHITECTURE §6: "espeak-ng where installed"). */
export async function detectTts(deps: EspeakNgDeps = {}): Promise<TtsEngine> {
  const espeak = new EspeakNgTts(deps);
  return (await espeak.available()) ? espeak : new NoTts();
}
