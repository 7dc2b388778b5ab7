import { describe, expect, it } from 'vitest';
import { detectorContract } from '@palisade/pii-detectors/testkit';
import * as plugin from './index.js';
import { employeeId, employeeIdCheckDigit } from './index.js';

const valid = (five: string): string => `EMP-${five}${employeeIdCheckDigit(five)}`;

detectorContract(employeeId, {
  positives: [valid('48291'), valid('00000'), valid('99999'), valid('12345')],
  negatives: [
    `EMP-12345${(employeeIdCheckDigit('12345') + 1) % 10}`, // wrong check digit
    'EMP-1234', // too short
    `${valid('12345')}7`, // too long
    `X${valid('12345')}`, // glued to a word
    `${valid('12345')}x`, // glued to a word after
    `emp-12345${employeeIdCheckDigit('12345')}`, // ids are upper-case
    'EMP-ABCDEF',
  ],
});

describe('the employee id plugin module', () => {
  it('exports its detectors as a detector module, named and by default', () => {
    expect(plugin.detectors.map((d) => d.id)).toEqual(['employee_id']);
    expect(plugin.default.detectors).toBe(plugin.detectors);
  });

  it('finds ids in a message and reports where they are', () => {
    const id = valid('48291');
    const text = `Ticket for ${id}: laptop replaced.`;
    expect(employeeId.find(text)).toEqual([{ start: 11, end: 11 + id.length, type: 'employee_id', confidence: 0.9 }]);
  });
});
