import * as t from 'io-ts';

/**
 * Like `t.type`/`t.partial`, but an unknown key is an error that names it: a
 * misspelt config key must not be silently ignored.
 */
export const strict = <R extends t.Props, O extends t.Props = Record<never, never>>(
  required: R,
  optional: O = {} as O,
  name?: string,
): t.Type<t.TypeOf<t.TypeC<R>> & t.TypeOf<t.PartialC<O>>, unknown, unknown> => {
  const requiredCodec = t.type(required);
  const optionalCodec = t.partial(optional);
  const base = t.intersection([requiredCodec, optionalCodec]);
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  return new t.Type(
    name ?? base.name,
    (u): u is t.TypeOf<typeof base> => base.is(u),
    (u, c) => {
      if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
        const unknownKey = Object.keys(u).find((k) => !known.has(k));
        if (unknownKey !== undefined) {
          return t.failure(
            u,
            t.appendContext(c, unknownKey, t.unknown, undefined),
            `is not a known key (expected one of: ${[...known].join(', ')})`,
          );
        }
      }
      // Validated part by part in the same context, so error paths carry no intersection index.
      const a = requiredCodec.validate(u, c);
      const b = optionalCodec.validate(u, c);
      if (a._tag === 'Left' || b._tag === 'Left') {
        return t.failures([...(a._tag === 'Left' ? a.left : []), ...(b._tag === 'Left' ? b.left : [])]);
      }
      return t.success({ ...a.right, ...b.right });
    },
    t.identity,
  );
};

export const PositiveInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInteger');
export const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');
