import { PacedSink, type PacedSinkDeps, type PcmOutput } from "./paced-sink.js";

/** Discards PCM but keeps real-time pacing, so a receiver without audio hardware still plays for the right time. */
export class NullSink extends PacedSink {
  constructor(deps: PacedSinkDeps) {
    super(deps);
  }

  protected open(): Promise<PcmOutput> {
    return Promise.resolve({ write: () => undefined, close: () => Promise.resolve(), abort: () => Promise.resolve() });
  }
}
