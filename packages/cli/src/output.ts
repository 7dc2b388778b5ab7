import Table from 'cli-table3';
import type { PalisadeError, PurgeReport, RecordedEvent, StreamInfo } from '@palisade/core';

export interface Output {
  readonly json: boolean;
  write(text: string): void;
  error(text: string): void;
}

export const consoleOutput = (json: boolean): Output => ({
  json,
  write: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  error: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
});

/** Errors go to stderr; with --json as one JSON object with the stable code. */
export const printError = (out: Output, error: PalisadeError): void => {
  if (out.json) out.error(JSON.stringify({ error }));
  else out.error(`error ${error.code}: ${error.message}`);
};

const preview = (value: unknown, max = 60): string => {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

export const eventTable = (events: readonly RecordedEvent[]): string => {
  if (events.length === 0) return '(no events)';
  const table = new Table({ head: ['position', 'stream', 'version', 'type', 'recorded at', 'data'] });
  for (const e of events) table.push([e.position, e.stream, e.version, e.type, e.recordedAt, preview(e.data)]);
  return table.toString();
};

export const streamTable = (streams: readonly StreamInfo[]): string => {
  if (streams.length === 0) return '(no streams)';
  const table = new Table({ head: ['stream', 'version'] });
  for (const s of streams) table.push([s.stream, s.version]);
  return table.toString();
};

/** One line per event, for `follow`. */
export const eventLine = (e: RecordedEvent): string =>
  `${e.position}\t${e.stream}@${e.version}\t${e.type}\t${preview(e.data, 100)}`;

/** What a purge deleted (or, in a dry run, would delete): counts and stream ids, never content. */
export const purgeReport = (r: PurgeReport): string => {
  const head = r.dryRun
    ? `dry run: would delete ${r.events} event(s) from ${r.streamCount} stream(s) of tenant ${r.tenant}, recorded before ${r.cutoff} (retention ${r.retentionDays} days); nothing was deleted`
    : `purged ${r.events} event(s) from ${r.streamCount} stream(s) of tenant ${r.tenant}, recorded before ${r.cutoff} (retention ${r.retentionDays} days), in ${r.batches} batch(es), recorded in $purges; ${r.marked} projection/snapshot state(s) marked as reflecting purged events`;
  if (r.streams.length === 0) return head;
  const table = new Table({ head: ['stream', 'events', 'through version'] });
  for (const s of r.streams) table.push([s.stream, s.events, s.throughVersion]);
  const more = r.streamCount > r.streams.length ? `\n(and ${r.streamCount - r.streams.length} more streams)` : '';
  return `${head}\n${table.toString()}${more}`;
};
