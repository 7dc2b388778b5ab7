import type Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';

/** Carries an expected failure out of a transaction, so better-sqlite3 rolls it back. */
class Rollback<L> extends Error {
  constructor(readonly failure: E.Left<L>) {
    super('rolled back: the transaction body failed');
  }
}

/**
 * Runs `body` in an IMMEDIATE transaction that commits only when it returns
 * Right. better-sqlite3 rolls back only when the function throws; returning a
 * Left would commit whatever the body wrote before it found the problem.
 */
export const inTransaction = <L, A>(db: Database.Database, body: () => E.Either<L, A>): E.Either<L, A> => {
  try {
    return db
      .transaction(() => {
        const outcome = body();
        if (E.isLeft(outcome)) throw new Rollback(outcome);
        return outcome;
      })
      .immediate();
  } catch (e) {
    if (e instanceof Rollback) return e.failure as E.Left<L>;
    throw e;
  }
};
