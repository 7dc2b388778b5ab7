import * as E from 'fp-ts/lib/Either.js';
import {
  configInvalid,
  parseFieldPath,
  type ConfigInvalid,
  type EncryptionSection,
  type FieldPath,
  type Issue,
  type KeyStore,
} from '@palisade/core';
import { createDataKeys, type KeyEvent } from './data-keys.js';
import { Kek } from './kek.js';
import { createEncryption, type Encryption, type PersonalDataRule } from './service.js';

/** Parses `encryption.personal_data`; every bad path is named by its config path. */
export const parseRules = (section: EncryptionSection): E.Either<ConfigInvalid, PersonalDataRule[]> => {
  const issues: Issue[] = [];
  const path = (text: string, at: string): FieldPath | null => {
    const p = parseFieldPath(text);
    if (E.isLeft(p)) {
      issues.push({ path: at, message: p.left });
      return null;
    }
    return p.right;
  };
  const rules = (section.personal_data ?? []).flatMap((rule, i): PersonalDataRule[] => {
    const at = `encryption.personal_data.${i}`;
    const subject = path(rule.subject, `${at}.subject`);
    if (subject !== null && subject.segments.some((s) => s.kind === 'any')) {
      issues.push({ path: `${at}.subject`, message: 'must name one field (no wildcards)' });
    }
    const fields = rule.fields.map((f, j) => path(f, `${at}.fields.${j}`));
    if (rule.fields.length === 0) issues.push({ path: `${at}.fields`, message: 'must list at least one field' });
    if (subject === null || fields.some((f) => f === null)) return [];
    return [{ eventType: rule.event_type, subject, fields: fields as FieldPath[] }];
  });
  return issues.length > 0 ? E.left(configInvalid('config', issues)) : E.right(rules);
};

/** Builds encryption from the `encryption` config section (secret references already resolved) and a key store. */
export const encryptionFromConfig = (
  section: EncryptionSection,
  store: KeyStore,
  extra: { readonly onKeyEvent?: (event: KeyEvent) => void; readonly cacheTtlMs?: number } = {},
): E.Either<ConfigInvalid, Encryption> => {
  const kek = Kek.parse(section.kek_id, section.kek);
  if (E.isLeft(kek)) return kek;
  const rules = parseRules(section);
  if (E.isLeft(rules)) return rules;
  const keys = createDataKeys({ kek: kek.right, store, ...extra });
  return E.right(createEncryption({ kek: kek.right, keys, rules: rules.right, atRest: section.at_rest ?? false }));
};
