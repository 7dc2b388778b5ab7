import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  getAtPath,
  invalidAt,
  isSystemStream,
  mapAtPath,
  storageUnavailable,
  type AppendError,
  type AppendPipeline,
  type FieldPath,
  type JsonObject,
  type JsonValue,
  type NewEvent,
  type PreparedEvent,
  type ReadTransform,
  type RecordedEvent,
  type StorageError,
  type TenantId,
} from '@palisade/core';
import type { DataKeys } from './data-keys.js';
import { ENVELOPE_KEY, asEnvelope, erased, open, seal, type Envelope } from './envelope.js';
import type { Kek } from './kek.js';

/** A personal-data rule, parsed: for events of `eventType`, the subject id is at `subject`, and `fields` are theirs. */
export interface PersonalDataRule {
  readonly eventType: string;
  readonly subject: FieldPath;
  readonly fields: readonly FieldPath[];
}

export interface EncryptionOptions {
  readonly kek: Kek;
  readonly keys: DataKeys;
  readonly rules: readonly PersonalDataRule[];
  /** Encrypt every event's whole `data` under the tenant's key as well. */
  readonly atRest?: boolean;
}

/** The key ref of a tenant's at-rest key. */
export const TENANT_KEY_REF = 't:payload';
const RESERVED = new Set([ENVELOPE_KEY, '$erased']);

/**
 * Field encryption and crypto-shredding. `pipeline` encrypts on the way in
 * (after redaction), `reader` decrypts on the way out, `forget` destroys a
 * subject's key. After `forget`, every envelope under that key reads as
 * `{ "$erased": true }`, wherever it is stored.
 */
export const createEncryption = (options: EncryptionOptions) => {
  const { kek, keys } = options;
  const rulesByType = new Map<string, PersonalDataRule[]>();
  for (const r of options.rules) rulesByType.set(r.eventType, [...(rulesByType.get(r.eventType) ?? []), r]);

  const encryptEvent = async (
    tenant: TenantId,
    stream: string,
    event: NewEvent,
    index: number,
    received: NewEvent | undefined,
  ): Promise<E.Either<AppendError, NewEvent>> => {
    // System streams are written by Palisade alone, and the audit log's copies hold sealed fields on purpose.
    const system = isSystemStream(stream);
    const reserved = system ? null : findReserved({ data: event.data, metadata: event.metadata ?? {} });
    if (reserved !== null) {
      return E.left(
        invalidAt(`events.${index}.${reserved}`, 'uses a key reserved for encrypted values ($enc, $erased)'),
      );
    }
    // The id is part of every ciphertext's binding, so it must be known now: assign it here when the caller did not.
    const id = event.id ?? (randomUUID() as NonNullable<NewEvent['id']>);
    let data: JsonValue = event.data;
    let metadata: JsonObject = event.metadata ?? {};
    // The subject id as the caller gave it: redaction, running before this stage, may have masked it (an e-mail
    // address as id), and a masked id would name another person's key, or none that `forget` can find.
    const original = received !== undefined && received.type === event.type ? received : event;
    for (const rule of system ? [] : (rulesByType.get(event.type) ?? [])) {
      const subject = getAtPath(rule.subject.root === 'data' ? original.data : (original.metadata ?? {}), rule.subject);
      if (typeof subject !== 'string' && typeof subject !== 'number') {
        return E.left(
          invalidAt(
            `events.${index}.${rule.subject.text}`,
            `must be the data subject's id (a string or number): event type ${event.type} holds personal data`,
          ),
        );
      }
      const ref = kek.subjectRef(tenant, String(subject));
      const key = await keys.getOrCreate(tenant, ref);
      if (E.isLeft(key)) return key;
      const sealField = (value: JsonValue, path: string): JsonValue =>
        asEnvelope(value) !== null ? value : seal(key.right, ref, { tenant, stream, eventId: id, path }, value);
      for (const field of rule.fields) {
        if (field.root === 'data') data = mapAtPath(data, field, sealField);
        else metadata = mapAtPath(metadata, field, sealField) as JsonObject;
      }
    }
    if (options.atRest === true) {
      const key = await keys.getOrCreate(tenant, TENANT_KEY_REF);
      if (E.isLeft(key)) return key;
      data = seal(key.right, TENANT_KEY_REF, { tenant, stream, eventId: id, path: 'data' }, data);
    }
    return E.right({ ...event, id, data, ...(event.metadata !== undefined ? { metadata } : {}) });
  };

  const pipeline: AppendPipeline = {
    process: (context, events) => async () => {
      const out: NewEvent[] = [];
      for (let i = 0; i < events.length; i++) {
        const received = context.received?.length === events.length ? context.received[i] : undefined;
        const encrypted = await encryptEvent(context.tenant, context.stream, events[i]!, i, received);
        if (E.isLeft(encrypted)) return encrypted;
        out.push(encrypted.right);
      }
      return E.right(out);
    },
  };

  /** Opens one envelope found at `path` of an event; Left when it fails its check. */
  const openAt = async (
    tenant: TenantId,
    envelope: Envelope,
    at: { readonly stream: string; readonly eventId: string; readonly path: string } | null,
  ): Promise<E.Either<StorageError, JsonValue>> => {
    if (at !== null && (envelope.s !== at.stream || envelope.e !== at.eventId || envelope.p !== at.path)) {
      return E.left(tampered(at.eventId));
    }
    const key = await keys.find(tenant, envelope.k);
    if (E.isLeft(key)) return key;
    if (key.right === null) return E.right(erased());
    const plain = open(key.right, tenant, envelope);
    return plain === null ? E.left(tampered(envelope.e)) : E.right(plain);
  };

  /** Replaces every envelope inside `value` by its plain value (or the erased marker). */
  const openDeep = async (
    tenant: TenantId,
    value: JsonValue,
    path: string,
    at: { readonly stream: string; readonly eventId: string } | null,
  ): Promise<E.Either<StorageError, JsonValue>> => {
    const envelope = asEnvelope(value);
    if (envelope !== null) return openAt(tenant, envelope, at === null ? null : { ...at, path });
    if (value === null || typeof value !== 'object') return E.right(value);
    if (Array.isArray(value)) {
      const out: JsonValue[] = [];
      for (let i = 0; i < value.length; i++) {
        const v = await openDeep(tenant, value[i]!, `${path}.${i}`, at);
        if (E.isLeft(v)) return v;
        out.push(v.right);
      }
      return E.right(out);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const opened = await openDeep(tenant, v, `${path}.${k}`, at);
      if (E.isLeft(opened)) return opened;
      out[k] = opened.right;
    }
    return E.right(out);
  };

  /** Opens the at-rest envelope of a stored event's data, leaving field envelopes sealed. */
  const openPayload = async (
    tenant: TenantId,
    stream: string,
    event: { readonly id: string; readonly data: JsonValue },
  ): Promise<E.Either<StorageError, JsonValue>> => {
    const envelope = asEnvelope(event.data);
    if (envelope === null || envelope.k !== TENANT_KEY_REF) return E.right(event.data);
    return openAt(tenant, envelope, { stream, eventId: event.id, path: 'data' });
  };

  const readEvent = async (tenant: TenantId, event: RecordedEvent): Promise<E.Either<StorageError, RecordedEvent>> => {
    const payload = await openPayload(tenant, event.stream, event);
    if (E.isLeft(payload)) return payload;
    // Field envelopes in system streams ($audit) are copies the audit chain has hashed: they stay sealed.
    if (isSystemStream(event.stream))
      return E.right(payload.right === event.data ? event : { ...event, data: payload.right });
    const at = { stream: event.stream, eventId: event.id };
    const data = containsEnvelope(payload.right) ? await openDeep(tenant, payload.right, 'data', at) : payload;
    if (E.isLeft(data)) return data;
    const metadata = containsEnvelope(event.metadata)
      ? await openDeep(tenant, event.metadata, 'metadata', at)
      : E.right<StorageError, JsonValue>(event.metadata);
    if (E.isLeft(metadata)) return metadata;
    return E.right({ ...event, data: data.right, metadata: metadata.right as JsonObject });
  };

  const reader: ReadTransform = {
    read:
      (tenant, events): TE.TaskEither<StorageError, readonly RecordedEvent[]> =>
      async () => {
        const out: RecordedEvent[] = [];
        for (const e of events) {
          const opened = await readEvent(tenant, e);
          if (E.isLeft(opened)) return opened;
          out.push(opened.right);
        }
        return E.right(out);
      },
  };

  return {
    pipeline,
    reader,
    /** Destroys the subject's key: all of their encrypted fields, everywhere, read as erased from now on. */
    forget: async (
      tenant: TenantId,
      subject: string,
    ): Promise<E.Either<StorageError, { ref: string; existed: boolean }>> => {
      const ref = kek.subjectRef(tenant, subject);
      return E.map((existed: boolean) => ({ ref, existed }))(await keys.destroy(tenant, ref));
    },
    /**
     * Opens the envelopes inside a value kept outside the event log (a snapshot,
     * a projection row) that copied them sealed: erased subjects read as erased there too.
     */
    open: (tenant: TenantId, value: JsonValue) => openDeep(tenant, value, '', null),
    /** For the audit log: the stored event with its at-rest envelope opened, fields still sealed. */
    viewStored: async (tenant: TenantId, stream: string, event: PreparedEvent): Promise<PreparedEvent> => {
      const data = await openPayload(tenant, stream, event);
      return E.isRight(data) ? { ...event, data: data.right } : event;
    },
    /** The key ref of a subject, as audit entries name it (the subject id itself is never recorded). */
    subjectRef: (tenant: TenantId, subject: string) => kek.subjectRef(tenant, subject),
  };
};

export type Encryption = ReturnType<typeof createEncryption>;

const tampered = (eventId: string): StorageError =>
  storageUnavailable('encryption', `an encrypted value of event ${eventId} fails its integrity check`, false);

// One scan of the text is cheaper than walking every event that holds no envelope.
const containsEnvelope = (value: JsonValue): boolean => JSON.stringify(value).includes(`"${ENVELOPE_KEY}"`);

/** The path of the first reserved key in a value, or null. */
const findReserved = (value: JsonValue, path = ''): string | null => {
  if (value === null || typeof value !== 'object') return null;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const here = path === '' ? k : `${path}.${k}`;
    if (!Array.isArray(value) && RESERVED.has(k)) return here;
    const inner = findReserved(v, here);
    if (inner !== null) return inner;
  }
  return null;
};
