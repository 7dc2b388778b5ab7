import * as t from 'io-ts';
import { PositiveInt, strict } from './codecs.js';

/*
 * The config sections of the audit log (`audit`) and of encryption and
 * crypto-shredding (`encryption`). Decoded here, with the rest of the config,
 * so that a misspelt key fails at start-up; `@palisade/audit` and
 * `@palisade/encryption` read them.
 */

const NonEmpty = t.refinement(t.string, (s) => s.length > 0, 'NonEmptyString');

/** Which event fields are prompts and which are model outputs, as paths (`data.prompt`, `data.messages[*].content`). */
export const AuditDataPolicy = strict(
  {},
  {
    /** Keep prompts in audit entries. Default true; false replaces them with a `{ "$stripped": "prompt" }` marker. */
    retain_prompts: t.boolean,
    /** Keep model outputs in audit entries. Default true. */
    retain_outputs: t.boolean,
    /** Paths of prompt fields; replaces the default list. */
    prompt_fields: t.array(NonEmpty),
    /** Paths of output fields; replaces the default list. */
    output_fields: t.array(NonEmpty),
  },
  'AuditDataPolicy',
);
export type AuditDataPolicy = t.TypeOf<typeof AuditDataPolicy>;

export const AuditSection = strict(
  {},
  {
    /** Default true when the section is present. */
    enabled: t.boolean,
    signing: strict(
      {
        /** An Ed25519 private key, PKCS#8 PEM (may be a `${secret:...}` reference). */
        key: NonEmpty,
        /** Names the key in every signature, so verifiers can pick the public key. */
        key_id: NonEmpty,
      },
      {},
      'AuditSigning',
    ),
    /** Write a signed checkpoint after this many entries. Default 1,000. */
    checkpoint_every: PositiveInt,
    /** ... or when this long has passed since the last one and an entry is written. Default 60,000 ms. */
    checkpoint_interval_ms: PositiveInt,
    data_policy: AuditDataPolicy,
  },
  'AuditConfig',
);
export type AuditSection = t.TypeOf<typeof AuditSection>;

export const PersonalDataRule = strict(
  {
    /** The event type the rule applies to. */
    event_type: NonEmpty,
    /** Path of the data subject's id in the event, e.g. `data.customerId` or `metadata.subject`. */
    subject: NonEmpty,
    /** Paths of the fields that are the subject's personal data; `*` and `[*]` match any key or index. */
    fields: t.array(NonEmpty),
  },
  {},
  'PersonalDataRule',
);
export type PersonalDataRule = t.TypeOf<typeof PersonalDataRule>;

export const EncryptionSection = strict(
  {
    /** The key-encryption key: 32 bytes, base64 or base64url (may be a `${secret:...}` reference). */
    kek: NonEmpty,
    /** Names the key-encryption key; stored with every wrapped key. */
    kek_id: NonEmpty,
  },
  {
    personal_data: t.array(PersonalDataRule),
    /** Encrypt every event's whole `data` with a per-tenant key as well. Default false. */
    at_rest: t.boolean,
    /** Where wrapped keys live; defaults to the storage's kind and path (sqlite or memory). */
    key_store: t.intersection([t.type({ kind: t.string }), t.UnknownRecord], 'KeyStoreConfig'),
  },
  'EncryptionConfig',
);
export type EncryptionSection = t.TypeOf<typeof EncryptionSection>;
