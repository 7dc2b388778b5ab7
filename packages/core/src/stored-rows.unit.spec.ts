import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { storedRowDecoders } from './stored-rows.js';

const rows = storedRowDecoders('test-adapter');

const left = <A>(result: E.Either<{ code: string; message: string }, A>) => {
  if (E.isRight(result)) throw new Error('expected a malformed row');
  return result.left;
};

describe('stored row decoders', () => {
  it('decodes well-formed rows', () => {
    expect(rows.payload('{"a":1}', '{"actor":"u"}')).toEqual(E.right({ data: { a: 1 }, metadata: { actor: 'u' } }));
    expect(rows.stream({ stream_id: '$audit', version: 3 })).toEqual(E.right({ stream: '$audit', version: 3 }));
    expect(rows.expired({ stream_id: 'order-1', events: 2, through_version: 1 })).toEqual(
      E.right({ stream: 'order-1', events: 2, throughVersion: 1 }),
    );
  });

  it('refuses malformed rows with a typed error naming the table and the adapter, never the content', () => {
    const cases: E.Either<{ code: string; message: string }, unknown>[] = [
      rows.payload('{"ssn":"123-45-6789"', '{}'),
      rows.payload('{}', '["metadata must be an object"]'),
      rows.payload('{}', 'null'),
      rows.existing({ event_id: 'not-a-uuid', stream_id: 's', version: 0, position: 1, content_hash: 'h' }),
      rows.stream({ stream_id: 'bad id with spaces', version: 0 }),
      rows.expired({ stream_id: 'order-1', events: 1.5, through_version: 0 }),
    ];
    for (const c of cases) {
      const error = left(c);
      expect(error.code).toBe('PALISADE_STORAGE_UNAVAILABLE');
      expect(error.message).toMatch(/test-adapter|malformed/);
      expect(error.message).not.toContain('123-45-6789');
    }
    expect(
      left(rows.state({ state: '{', position: 1, purgedAt: null, revision: 0, updatedAt: 'x' })).message,
    ).toContain("'states'");
    expect(E.isLeft(rows.state({ state: '{}', position: 0.5, purgedAt: null, revision: 0, updatedAt: 'x' }))).toBe(
      true,
    );
  });

  it('decodes all rows or reports the first bad one', () => {
    expect(rows.all([{ stream_id: 'a', version: 0 }], rows.stream)).toEqual(E.right([{ stream: 'a', version: 0 }]));
    expect(E.isLeft(rows.all([{ stream_id: 'a', version: 0 }, { version: 1 }], rows.stream))).toBe(true);
  });
});
