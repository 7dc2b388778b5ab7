import Table from 'cli-table3';
import type { PalisadeError, RecordedEvent, StreamInfo } from '@palisade/core';

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
