/**
 * Structure-aware mutations of decoded values (JSON bodies, CBOR maps): replace, delete, add or
 * re-type one node of a valid message, so a decoder's schema checks are reached behind its
 * syntax checks (random bytes rarely parse as JSON or CBOR, and never as a well-formed message).
 *
 * A tree is made of plain objects, arrays and leaves (string, number, boolean, null, bigint,
 * Uint8Array). A node is chosen by its index in pre-order, read modulo the node count, so one edit
 * applies to any tree and shrinks well.
 */
import fc from 'fast-check';

/** One structural edit (see the module comment). */
export type TreeEdit =
  | { readonly op: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly op: 'delete'; readonly at: number }
  | { readonly op: 'add'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: 'retype'; readonly at: number }
  | { readonly op: 'duplicate'; readonly at: number };

/** Options of {@link treeEditArb}. */
export interface TreeEditOptions {
  /** Leaves may be Uint8Array and bigint (CBOR), not only JSON values. Default false. */
  readonly binary?: boolean;
  /** Field names of the format, added and swapped in as keys. */
  readonly keys?: readonly string[];
}

const SPECIAL_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '\u0000',
  '\ud800',
  '\u2028',
  '../',
  '%2e%2e/',
  'x'.repeat(300),
  '0x10',
  '1e999',
  'true',
  'null',
  '-1',
];
const SPECIAL_NUMBERS = [0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324];

/** Leaf and small-subtree values an edit puts into a tree. */
export function weirdValueArb(o: TreeEditOptions = {}): fc.Arbitrary<unknown> {
  const parts: fc.Arbitrary<unknown>[] = [
    fc.constantFrom<unknown>(null, true, false, ...SPECIAL_NUMBERS, ...SPECIAL_STRINGS),
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.jsonValue({ maxDepth: 2 }),
    fc.constant([]),
    fc.constant({}),
  ];
  if (o.keys !== undefined && o.keys.length > 0) parts.push(fc.constantFrom<unknown>(...o.keys));
  if (o.binary === true)
    parts.push(
      fc.uint8Array({ maxLength: 80 }),
      fc.constantFrom(0, 1, 16, 31, 32, 33, 63, 64, 65).map((n) => new Uint8Array(n)),
      fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
    );
  return fc.oneof(...parts);
}

/** One random {@link TreeEdit}. */
export function treeEditArb(o: TreeEditOptions = {}): fc.Arbitrary<TreeEdit> {
  const value = weirdValueArb(o);
  const key = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(...SPECIAL_STRINGS, ...(o.keys ?? ['x'])),
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.nat(), key, value }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('retype' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }) },
  );
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return (
    v !== null &&
    typeof v === 'object' &&
    !(v instanceof Uint8Array) &&
    (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)
  );
}

/** A deep copy of a tree (containers and byte arrays copied; other leaves shared). */
export function cloneTree(v: unknown): unknown {
  if (v instanceof Uint8Array) return v.slice();
  if (Array.isArray(v)) return v.map(cloneTree);
  if (isContainer(v)) {
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: an own "__proto__" key must stay a key (assigning it
    // would set the copy's prototype — e.g. to a Uint8Array, which then poses as bytes).
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, {
        value: cloneTree(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

interface Slot {
  readonly parent: Container | undefined;
  readonly key: string | number | undefined;
  readonly value: unknown;
}

function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (parent: Container | undefined, key: string | number | undefined, value: unknown): void => {
    out.push({ parent, key, value });
    if (Array.isArray(value)) value.forEach((x, i) => walk(value, i, x));
    else if (isContainer(value)) for (const [k, x] of Object.entries(value)) walk(value, k, x);
  };
  walk(undefined, undefined, root);
  return out;
}

function retype(v: unknown): unknown {
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? Number(v) : [v];
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  if (isContainer(v)) return Object.values(v);
  return 0;
}

/** Store `value` where slot `s` is (its parent must exist). */
function put(s: Slot & { readonly parent: Container }, value: unknown): void {
  if (Array.isArray(s.parent)) s.parent[s.key as number] = value;
  else
    Object.defineProperty(s.parent, s.key as string, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

/**
 * Apply one edit to `root` in place where possible.
 * @returns the new root (a replaced or re-typed root is a new value).
 */
export function applyTreeEdit(root: unknown, e: TreeEdit): unknown {
  const all = slots(root);
  const s = all[e.at % all.length]!;
  const replaceRoot = (v: unknown): unknown => {
    if (s.parent === undefined) return v;
    put({ ...s, parent: s.parent }, v);
    return root;
  };
  switch (e.op) {
    case 'replace':
      return replaceRoot(cloneTree(e.value));
    case 'retype':
      return replaceRoot(retype(s.value));
    case 'delete':
      if (s.parent === undefined) return undefined;
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key as string];
      return root;
    case 'add': {
      const target = isContainer(s.value) ? s.value : s.parent;
      if (target === undefined) return root;
      if (Array.isArray(target)) target.push(cloneTree(e.value));
      else
        Object.defineProperty(target, e.key, {
          value: cloneTree(e.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return root;
    }
    case 'duplicate':
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 0, cloneTree(s.value));
      else if (Array.isArray(s.value)) s.value.push(...s.value.map(cloneTree));
      return root;
  }
}

/** Apply `edits` to a clone of `base`. */
export function applyTreeEdits(base: unknown, edits: readonly TreeEdit[]): unknown {
  let root = cloneTree(base);
  for (const e of edits) root = applyTreeEdit(root, e);
  return root;
}

/** A valid tree from `corpus` with 1..maxEdits structural edits (or none, 1 time in 6). */
export function treeInput(
  corpus: readonly unknown[],
  o: TreeEditOptions & { readonly maxEdits?: number } = {},
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...corpus).map(cloneTree) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...corpus),
          fc.array(treeEditArb(o), { minLength: 1, maxLength: o.maxEdits ?? 4 }),
        )
        .map(([base, edits]) => applyTreeEdits(base, edits)),
    },
  );
}
