/*
 * Other JavaScript PII redactors, run on the same corpus: `redact-pii` (the
 * long-standing npm package, regex-based SyncRedactor) and `@redactpii/node`
 * (its maintained zero-dependency successor). Both return redacted text, not
 * spans, so recall and false positives are measured for every tool the same way:
 * a planted value counts as found, and a decoy as touched, when it no longer
 * appears verbatim in the output.
 */
// The synchronous redactor alone: the package's index also loads the Google DLP client (several MB).
import { SyncCompositeRedactor } from 'redact-pii/lib/SyncCompositeRedactor.js';
import { Redactor } from '@redactpii/node';
import { detectors } from '@palisade/pii-detectors';
import { redactText, scanText } from './scan.js';

export interface Tool {
  readonly name: string;
  readonly redact: (text: string) => string;
}

const syncRedactor = new SyncCompositeRedactor();
const redactPiiNode = new Redactor();

export const TOOLS: readonly Tool[] = [
  { name: 'palisade (built-in detectors)', redact: (text) => redactText(text, scanText(detectors, text)) },
  { name: 'redact-pii 3.4 (SyncRedactor)', redact: (text) => syncRedactor.redact(text) },
  { name: '@redactpii/node 1.0', redact: (text) => redactPiiNode.redact(text) },
];
