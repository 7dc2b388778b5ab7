import type { Detector } from '@palisade/core';
import { apiSecret } from './detectors/api-secret.js';
import { awsAccessKey, awsSecretKey } from './detectors/aws.js';
import { creditCard } from './detectors/credit-card.js';
import { email } from './detectors/email.js';
import { iban } from './detectors/iban.js';
import { ipAddress } from './detectors/ip-address.js';
import { phone } from './detectors/phone.js';
import { ssn } from './detectors/ssn.js';

export { apiSecret, awsAccessKey, awsSecretKey, creditCard, email, iban, ipAddress, phone, ssn };
export { luhnValid, shannonEntropy } from './detectors/scan.js';
export { validCardNumber } from './detectors/credit-card.js';
export { validIban } from './detectors/iban.js';
export { validSsnParts } from './detectors/ssn.js';
export {
  compileRegexDetector,
  compileRegexDetectors,
  CustomRegexDetectorSpec,
  MAX_PATTERN_LENGTH,
} from './custom-regex.js';

/**
 * Every built-in detector. This package is itself a detector module: a worker
 * can load `@palisade/pii-detectors` by specifier and read `detectors`.
 */
export const detectors: readonly Detector[] = [
  email,
  ssn,
  phone,
  creditCard,
  ipAddress,
  awsAccessKey,
  awsSecretKey,
  apiSecret,
  iban,
];

/** The ids of the built-in detectors, as policies name them in `pii_detectors`. */
export const BUILTIN_DETECTOR_IDS: readonly string[] = detectors.map((d) => d.id);
