import { createHash } from 'node:crypto';
import * as t from 'io-ts';
import {
  JsonObjectCodec,
  systemStream,
  type JsonObject,
  type JsonValue,
  type StreamId,
  type TenantId,
} from '@palisade/core';
import { canonicalJson } from './canonical-json.js';

/** The tenant's audit stream. */
export const AUDIT_STREAM: StreamId = systemStream('audit');
export const ENTRY_TYPE = 'AuditEntry';
export const CHECKPOINT_TYPE = 'AuditCheckpoint';
export const FORMAT = 'palisade-audit/1';

/** What an audit entry can say happened. Free-form `operator.*` names are allowed for operator actions. */
export type AuditAction =
  | 'event.append'
  | 'policy.redact'
  | 'policy.warn'
  | 'policy.block'
  | 'retention.purge'
  | 'key.create'
  | 'key.destroy'
  | 'subject.forget'
  | 'audit.checkpoint'
  | 'audit.export'
  | `operator.${string}`;

export type AuditOutcome = 'success' | 'replayed' | 'refused' | 'failed';

const Iso = t.refinement(t.string, (s) => !Number.isNaN(Date.parse(s)), 'IsoTime');
const Hash = t.refinement(t.string, (s) => /^[0-9a-f]{64}$/.test(s), 'Sha256Hex');
const Seq = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');

/** The data of every `$audit` event. `prev` chains it to the entry before. */
export const AuditEntryData = t.type(
  {
    v: t.literal(1),
    seq: Seq,
    at: Iso,
    prev: Hash,
    actor: t.string,
    action: t.string,
    outcome: t.union([t.literal('success'), t.literal('replayed'), t.literal('refused'), t.literal('failed')]),
    details: JsonObjectCodec,
  },
  'AuditEntryData',
);
export type AuditEntryData = t.TypeOf<typeof AuditEntryData>;

/** An entry as exported and hashed: the stored event's id, type, data and metadata. */
export interface AuditRecord {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata: JsonObject;
}

/** The `prev` of entry 0: binds the chain to its tenant from the start. */
export const genesisHash = (tenant: string): string => sha256Hex(`${FORMAT}\u0000genesis\u0000${tenant}`);

/**
 * The `prev` of the first entry written after retention purged every entry up to `seq`: that entry's hash is gone,
 * so a marker naming the tenant and the purged sequence number stands in for it.
 */
export const purgedHeadHash = (tenant: string, seq: number): string =>
  sha256Hex(`${FORMAT}\u0000purged\u0000${tenant}\u0000${seq}`);

/**
 * The hash of a stored entry: SHA-256 over the RFC 8785 canonical JSON of the
 * tenant, sequence number, event id, type, data (which holds `at`, the
 * entry's timestamp, and `prev`) and metadata.
 */
export const entryHash = (tenant: TenantId | string, record: AuditRecord): string =>
  sha256Hex(
    canonicalJson({
      format: FORMAT,
      tenant,
      seq: record.seq,
      id: record.id,
      type: record.type,
      data: record.data,
      metadata: record.metadata,
    }),
  );

/** What a checkpoint or an export seal signs: "the chain of `tenant` up to `seq` ends in `head`, as of `at`". */
export const checkpointStatement = (tenant: string, seq: number, head: string, at: string): string =>
  canonicalJson({ format: `${FORMAT}/checkpoint`, tenant, seq, head, at });

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The details of a checkpoint entry. */
export const CheckpointDetails = t.type(
  { covers: Seq, head: Hash, keyId: t.string, signature: t.string },
  'CheckpointDetails',
);
export type CheckpointDetails = t.TypeOf<typeof CheckpointDetails>;
