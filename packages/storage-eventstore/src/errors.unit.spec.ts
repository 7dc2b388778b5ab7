import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { classifyError, mapDriverError } from './errors.js';

// The client's own error classes, as it throws them.
describe('EventStoreDB client error mapping', () => {
  it('classifies the errors the adapter acts on', () => {
    expect(
      classifyError(new WrongExpectedVersionError(undefined, { streamName: '~log-acme', expected: 3n, current: 4n })),
    ).toBe('conflict');
    expect(classifyError(new StreamNotFoundError(undefined, 'order-acme.1'))).toBe('not-found');
    expect(classifyError(new StreamDeletedError(undefined, 'order-acme.1'))).toBe('deleted');
    expect(classifyError(new MaxAppendSizeExceededError(undefined, 1_048_576))).toBe('too-large');
    expect(classifyError(new UnavailableError())).toBe('transient');
    expect(classifyError(new DeadlineExceededError())).toBe('transient');
    expect(classifyError(new AccessDeniedError())).toBe('fatal');
    expect(classifyError(new Error('x'))).toBe('fatal');
    expect(classifyError(null)).toBe('fatal');
  });

  it('maps to StorageUnavailable without the client message, retryable only when it can help', () => {
    const unavailable = mapDriverError('append', new UnavailableError());
    expect(unavailable).toMatchObject({ _tag: 'StorageUnavailable', retryable: true });
    expect(unavailable.message).toBe('eventstore storage failed: could not append (unavailable)');
    const denied = mapDriverError('read a stream', new AccessDeniedError());
    expect(denied.retryable).toBe(false);
    const tooLarge = mapDriverError('append', new MaxAppendSizeExceededError(undefined, 1_048_576));
    expect(tooLarge).toMatchObject({ retryable: false });
    expect(tooLarge.message).toContain('maximum append size');
    const notFound = mapDriverError('read', new StreamNotFoundError(undefined, 'secret-acme.name'));
    expect(notFound.message).not.toContain('secret-acme.name');
  });
});
