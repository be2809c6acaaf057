/**
 * Small adapters the wiring needs between parts: a journal that reports what it wrote (metrics), a media
 * pipeline that reports its timings, a catalogue lookup of known devices, and the delivery hook.
 */
import { isMediaError } from "../media/errors.js";
import { MediaPipeline, type IngestOptions, type MediaResult } from "../media/pipeline.js";
import type { Journal, JournalEntry } from "../ports/store.js";

/** The journal as is, telling `onAppend` about every batch once it is durable. */
export function tapJournal(journal: Journal, onAppend: (entries: readonly JournalEntry[]) => void): Journal {
  return {
    append: async (...entries) => {
      await journal.append(...entries);
      onAppend(entries);
    },
    replay: (onEntry) => journal.replay(onEntry),
    close: () => journal.close(),
  };
}

export interface MediaObserver {
  observeMedia(timings: MediaResult["timings"]): void;
  mediaRejected(code: string): void;
}

/**
 * Every upload and TTS text goes through `ingestFile` (ingestStream and synthesizeBulletin call it), so
 * timing it here counts each bulletin once.
 */
export class MeteredMediaPipeline extends MediaPipeline {
  private observer: MediaObserver | undefined;

  observe(observer: MediaObserver): void {
    this.observer = observer;
  }

  override async ingestFile(input: string, opts: IngestOptions = {}): Promise<MediaResult> {
    try {
      const result = await super.ingestFile(input, opts);
      this.observer?.observeMedia(result.timings);
      return result;
    } catch (err) {
      this.observer?.mediaRejected(isMediaError(err) ? err.code : "internal");
      throw err;
    }
  }
}

