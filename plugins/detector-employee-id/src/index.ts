/*
 * A Palisade detector module: the redaction workers import this package by
 * name and read `detectors`.
 */
import type { DetectorModule } from '@palisade/core';
import { employeeId } from './employee-id.js';

export { employeeId, employeeIdCheckDigit, isValidEmployeeId } from './employee-id.js';

export const detectors: DetectorModule['detectors'] = [employeeId];

export default { detectors } satisfies DetectorModule;
