/**
 * io-ts building blocks for scenario files, tuned for one-line error messages: every failure carries
 * its own message (`expected a duration like "30s", got "soon"`), context keys are already written
 * the way the path is printed (`[2]` for list items), records reject unknown keys by name, and
 * alternatives dispatch on the value's shape instead of reporting every branch of a union.
 */
import { parseDuration, parseTimestamp } from "@zen-lead/core";
import * as t from "io-ts";

export type Codec<A> = t.Type<A, unknown, unknown>;

/** A short, one-line rendering of an offending value. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "object") return Array.isArray(value) ? "a list" : "a map";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}

export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u);

/** A leaf codec: `check` returns the decoded value, or undefined for "expected <name>, got <value>". */
export function leaf<A>(name: string, check: (u: unknown) => A | undefined): Codec<A> {
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => check(u) !== undefined,
    (u, c) => {
      const a = check(u);
      return a === undefined ? t.failure(u, c, `expected ${name}, got ${show(u)}`) : t.success(a);
    },
    t.identity,
  );
}

export const str = leaf("a string", (u) => (typeof u === "string" ? u : undefined));
export const bool = leaf("true or false", (u) => (typeof u === "boolean" ? u : undefined));
export const literalTrue = leaf("true", (u) => (u === true ? true : undefined));

export function int(min: number, max = Number.MAX_SAFE_INTEGER, name?: string): Codec<number> {
  const label =
    name ?? (max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}-${max}`);
  return leaf(label, (u) =>
    typeof u === "number" && Number.isInteger(u) && u >= min && u <= max ? u : undefined,
  );
}

export const rate = leaf("a rate between 0 and 1", (u) =>
  typeof u === "number" && u >= 0 && u <= 1 ? u : undefined,
);

/** A duration codec: a bare number other than 0 gets a hint, since Go durations need a unit. */
function durationCodec(name: string, check: (u: unknown) => number | undefined): Codec<number> {
  return new t.Type<number, unknown, unknown>(
    name,
    (u): u is number => check(u) !== undefined,
    (u, c) => {
      const ms = check(u);
      if (ms !== undefined) return t.success(ms);
      const hint = typeof u === "number" && u > 0 ? ` (a number needs a unit: "${u}s")` : "";
      return t.failure(u, c, `expected ${name}, got ${show(u)}${hint}`);
    },
    t.identity,
  );
}

/** A Go duration ("30s", "1m30s", "250ms") or the number 0, as milliseconds. */
export const duration = durationCodec('a duration like "30s"', (u) => {
  if (u === 0) return 0;
  return typeof u === "string" ? parseDuration(u) : undefined;
});

/** A duration that must be more than zero. */
export const positiveDuration = durationCodec('a duration above zero like "30s"', (u) => {
  const ms = typeof u === "string" ? parseDuration(u) : undefined;
  return ms !== undefined && ms > 0 ? ms : undefined;
});

export const timestamp = leaf('an RFC 3339 time like "2026-01-01T00:00:00Z"', (u) =>
  typeof u === "string" ? parseTimestamp(u) : undefined,
);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const dns1123Label = leaf('a DNS-1123 label like "team-a"', (u) =>
  typeof u === "string" && u.length <= 63 && DNS1123_LABEL.test(u) ? u : undefined,
);
export const dns1035Label = leaf('a DNS-1035 label like "web"', (u) =>
  typeof u === "string" && u.length <= 63 && DNS1035_LABEL.test(u) ? u : undefined,
);
export const dns1123Subdomain = leaf('a DNS-1123 name like "node-1"', (u) =>
  typeof u === "string" && u.length <= 253 && DNS1123_SUBDOMAIN.test(u) ? u : undefined,
);

/** One of a few strings. */
export function oneOf<const S extends string>(values: readonly S[]): Codec<S> {
  return leaf(`one of ${values.join(", ")}`, (u) =>
    typeof u === "string" && (values as readonly string[]).includes(u) ? (u as S) : undefined,
  );
}

/** One of a few numbers. */
export function oneOfNumbers<const N extends number>(values: readonly N[]): Codec<N> {
  return leaf(`one of ${values.join(", ")}`, (u) =>
    typeof u === "number" && (values as readonly number[]).includes(u) ? (u as N) : undefined,
  );
}

/** A list whose items are checked one by one; item paths print as `[i]`. */
export function list<A>(item: Codec<A>, minItems = 0): Codec<readonly A[]> {
  return new t.Type<readonly A[], unknown, unknown>(
    `a list of ${item.name}`,
    (u): u is readonly A[] => Array.isArray(u) && u.every(item.is),
    (u, c) => {
      if (!Array.isArray(u)) return t.failure(u, c, `expected a list, got ${show(u)}`);
      if (u.length < minItems) {
        return t.failure(
          u,
          c,
          `expected at least ${minItems} item${minItems === 1 ? "" : "s"}, got ${u.length}`,
        );
      }
      const out: A[] = [];
      const errors: t.ValidationError[] = [];
      u.forEach((v, i) => {
        const r = item.validate(v, t.appendContext(c, `[${i}]`, item, v));
        if (r._tag === "Left") errors.push(...r.left);
        else out.push(r.right);
      });
      return errors.length > 0 ? t.failures(errors) : t.success(out);
    },
    t.identity,
  );
}

/** A map of string keys to values of one codec (labels, annotations, selectors). */
export function stringMap(name = "a map of strings"): Codec<Readonly<Record<string, string>>> {
  return new t.Type<Readonly<Record<string, string>>, unknown, unknown>(
    name,
    (u): u is Record<string, string> => isRecord(u) && Object.values(u).every((v) => typeof v === "string"),
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, `expected ${name}, got ${show(u)}`);
      const errors: t.ValidationError[] = [];
      for (const [key, v] of Object.entries(u)) {
        if (typeof v !== "string") {
          const hint = typeof v === "boolean" || typeof v === "number" ? ` (quote it: "${String(v)}")` : "";
          errors.push({
            value: v,
            context: t.appendContext(c, key, str, v),
            message: `expected a string, got ${show(v)}${hint}`,
          });
        }
      }
      return errors.length > 0 ? t.failures(errors) : t.success(u as Record<string, string>);
    },
    t.identity,
  );
}

/** Like stringMap, but a null value is kept (it means "remove this key"). */
export const annotationPatch: Codec<Readonly<Record<string, string | null>>> = new t.Type<
  Readonly<Record<string, string | null>>,
  unknown,
  unknown
>(
  "a map of strings (null removes a key)",
  (u): u is Record<string, string | null> =>
    isRecord(u) && Object.values(u).every((v) => typeof v === "string" || v === null),
  (u, c) => {
    if (!isRecord(u)) return t.failure(u, c, `expected a map of strings, got ${show(u)}`);
    const errors: t.ValidationError[] = [];
    for (const [key, v] of Object.entries(u)) {
      if (typeof v !== "string" && v !== null) {
        errors.push({
          value: v,
          context: t.appendContext(c, key, str, v),
          message: `expected a string or null, got ${show(v)}`,
        });
      }
    }
    return errors.length > 0 ? t.failures(errors) : t.success(u as Record<string, string | null>);
  },
  t.identity,
);

type Props = Readonly<Record<string, t.Mixed>>;
type Decoded<P extends Props> = { readonly [K in keyof P]: t.TypeOf<P[K]> };
type Struct<R extends Props, O extends Props> = Decoded<R> & { readonly [K in keyof O]?: t.TypeOf<O[K]> };

function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase().replace(/[-_]/g, "");
  return known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => editDistance(k, key) <= 2);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The message for a key a record does not know. */
export function unknownKey(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return guess !== undefined
    ? `unknown key (did you mean "${guess}"?)`
    : `unknown key (expected one of: ${known.join(", ")})`;
}

/**
 * A record with required and optional keys. Unknown keys are errors naming the key; a missing
 * required key is `required`. Keys are checked in the file's order, so the first error is the
 * first one a reader meets.
 */
export function struct<R extends Props, O extends Props>(
  name: string,
  required: R,
  optional: O,
): Codec<Struct<R, O>> {
  const known = [...Object.keys(required), ...Object.keys(optional)];
  const codecOf = (key: string): t.Mixed | undefined =>
    Object.hasOwn(required, key) ? required[key] : Object.hasOwn(optional, key) ? optional[key] : undefined;
  return new t.Type<Struct<R, O>, unknown, unknown>(
    name,
    (u): u is Struct<R, O> => isRecord(u),
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, `expected ${name}, got ${show(u)}`);
      const out: Record<string, unknown> = {};
      const errors: t.ValidationError[] = [];
      for (const [key, v] of Object.entries(u)) {
        const codec = codecOf(key);
        if (codec === undefined) {
          errors.push({
            value: v,
            context: t.appendContext(c, key, t.unknown, v),
            message: unknownKey(key, known),
          });
          continue;
        }
        const r = codec.validate(v, t.appendContext(c, key, codec, v));
        if (r._tag === "Left") errors.push(...r.left);
        else out[key] = r.right;
      }
      for (const key of Object.keys(required)) {
        if (!Object.hasOwn(u, key)) {
          errors.push({
            value: undefined,
            context: t.appendContext(c, key, required[key] ?? t.unknown, undefined),
            message: "required",
          });
        }
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out as Struct<R, O>);
    },
    t.identity,
  );
}

/**
 * Alternatives told apart by the value's shape: the first `when` that holds picks the codec, so
 * an error speaks about that alternative only. When none holds: `expected <name>, got <value>`.
 */
export function byShape<A>(
  name: string,
  cases: readonly { readonly when: (u: unknown) => boolean; readonly codec: t.Decoder<unknown, A> }[],
): Codec<A> {
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => cases.some((k) => k.when(u) && k.codec.decode(u)._tag === "Right"),
    (u, c) => {
      const chosen = cases.find((k) => k.when(u));
      return chosen === undefined
        ? t.failure(u, c, `expected ${name}, got ${show(u)}`)
        : chosen.codec.validate(u, c);
    },
    t.identity,
  );
}

/** A codec whose decoded value is transformed (e.g. one item or a list, normalised to a list). */
export function map<A, B>(codec: Codec<A>, f: (a: A) => B, name = codec.name): Codec<B> {
  return new t.Type<B, unknown, unknown>(
    name,
    (u): u is B => codec.is(u),
    (u, c) => {
      const r = codec.validate(u, c);
      return r._tag === "Left" ? r : t.success(f(r.right));
    },
    t.identity,
  );
}

/** A further check on a decoded value; `check` returns a reason when the value is refused. */
export function refine<A>(codec: Codec<A>, check: (a: A) => string | undefined): Codec<A> {
  return new t.Type<A, unknown, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const r = codec.validate(u, c);
      if (r._tag === "Left") return r;
      const reason = check(r.right);
      return reason === undefined ? r : t.failure(u, c, reason);
    },
    t.identity,
  );
}

/** Prints a context as a path: `timeline[2].deletePod.grace`, `annotations["zen-lead.io/enabled"]`. */
export function pathOf(context: t.Context): string {
  let path = "";
  for (const entry of context.slice(1)) path += pathSegment(entry.key, path === "");
  return path;
}

export function pathSegment(key: string, first: boolean): string {
  if (key.startsWith("[")) return key;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return first ? key : `.${key}`;
  return `[${JSON.stringify(key)}]`;
}

/** The errors as `{path, message}`, in the order met. */
export function describe(errors: t.Errors): { readonly path: string; readonly message: string }[] {
  return errors.map((e) => ({
    path: pathOf(e.context),
    message:
      e.message ??
      `expected ${e.context[e.context.length - 1]?.type.name ?? "a value"}, got ${show(e.value)}`,
  }));
}
