import type { PalisadeError } from '@palisade/core';

/** Exit codes a script can branch on. */
export const ExitCode = {
  ok: 0,
  /** The storage, the config or something else failed; retrying may help when the error says so. */
  failure: 1,
  /** The command line or the input was wrong: fix it and run again. */
  usage: 2,
  /** A concurrency conflict: the stream moved on (WrongExpectedVersion) or an event id was reused. */
  conflict: 3,
  /** The data policy refused the append (PolicyBlocked). */
  refused: 4,
  /** An audit log or export failed verification: something was changed, removed or cut off. */
  tampered: 5,
} as const;

export const exitCodeFor = (error: PalisadeError): number => {
  switch (error._tag) {
    case 'InvalidInput':
    case 'EventTooLarge':
    case 'BatchTooLarge':
    case 'ConfigInvalid':
      return ExitCode.usage;
    case 'WrongExpectedVersion':
    case 'DuplicateEventId':
      return ExitCode.conflict;
    case 'PolicyBlocked':
      return ExitCode.refused;
    case 'AuditVerificationFailed':
      return ExitCode.tampered;
    default:
      return ExitCode.failure;
  }
};
