import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { AppendError } from '../errors.js';
import type { AppendOptions, AppendResult, NewEventInput } from '../event.js';
import type { StreamId } from '../ids.js';
import type { Projection } from './projection.js';
import type { CatchUpResult, ProjectionError, TenantProjections } from './tenant-projections.js';

export interface InlineOutcome {
  readonly projection: string;
  readonly version: number;
  /** The catch-up's result, or why it failed. The append itself stands either way. */
  readonly result: E.Either<ProjectionError, CatchUpResult>;
}

export interface InlineAppendResult extends AppendResult {
  readonly projections: readonly InlineOutcome[];
}

/**
 * Appends through the tenant's scope, then brings each inline projection up to
 * date before returning. Not in the append's transaction: the projection is
 * updated right after the append commits, from its stored position, so a crash
 * in between loses nothing (the next append or `catchUp` applies the missed
 * events) and two writers never apply an event twice (compare-and-set).
 */
export class InlineProjections {
  constructor(
    private readonly projections: TenantProjections,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly inline: readonly Projection<any>[],
  ) {}

  appendToStream(
    stream: string,
    events: readonly NewEventInput[],
    options: AppendOptions = {},
  ): TE.TaskEither<AppendError, InlineAppendResult> {
    return this.after(this.projections.store.appendToStream(stream, events, options));
  }

  appendToSystemStream(
    stream: StreamId,
    events: readonly NewEventInput[],
    options: AppendOptions = {},
  ): TE.TaskEither<AppendError, InlineAppendResult> {
    return this.after(this.projections.store.appendToSystemStream(stream, events, options));
  }

  private after(append: TE.TaskEither<AppendError, AppendResult>): TE.TaskEither<AppendError, InlineAppendResult> {
    return async () => {
      const appended = await append();
      if (E.isLeft(appended)) return appended;
      const outcomes: InlineOutcome[] = [];
      for (const p of this.inline) {
        outcomes.push({ projection: p.name, version: p.version, result: await this.projections.catchUp(p)() });
      }
      return E.right({ ...appended.right, projections: outcomes });
    };
  }
}
