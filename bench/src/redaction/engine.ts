/*
 * The whole redaction engine in this thread, which is what one pool worker
 * runs: events decoded, every string walked and scanned by all nine detectors,
 * matches masked, the report built. MB/s per corpus, so the per-worker goal is
 * judged on the engine and not on the detectors alone.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { NewEventInput } from '@palisade/core';
import { createRedactionService } from '@palisade/redaction';
import type { CorpusChunk } from '@palisade/pii-detectors/corpus';

const APPEND_SIZE = 16;

export interface EngineRate {
  readonly kind: string;
  readonly mbPerSecond: number;
  readonly eventsPerSecond: number;
}

export const runEngineBenchmark = async (
  chunksByKind: ReadonlyMap<string, readonly CorpusChunk[]>,
  runs: number,
  now: () => number,
): Promise<EngineRate[]> => {
  const service = await createRedactionService({ config: {}, mode: 'in_thread' })();
  if (E.isLeft(service)) throw new Error(service.left.message);
  const rates: EngineRate[] = [];
  try {
    for (const [kind, chunks] of chunksByKind) {
      const appends: NewEventInput[][] = [];
      for (let i = 0; i < chunks.length; i += APPEND_SIZE) {
        appends.push(chunks.slice(i, i + APPEND_SIZE).map((c) => ({ type: 'message.posted', data: { text: c.text } })));
      }
      const pass = async (): Promise<void> => {
        for (const events of appends) {
          const r = await service.right.redact('bench', events)();
          if (E.isLeft(r)) throw new Error(r.left.message);
        }
      };
      await pass(); // warm-up
      const seconds: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = now();
        await pass();
        seconds.push(now() - t);
      }
      const s = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)] ?? 1;
      const bytes = chunks.reduce((n, c) => n + Buffer.byteLength(c.text, 'utf8'), 0);
      rates.push({ kind, mbPerSecond: bytes / 1e6 / s, eventsPerSecond: chunks.length / s });
    }
  } finally {
    await service.right.close();
  }
  return rates;
};
