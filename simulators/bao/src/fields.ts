/**
 * The plugin framework's field handling (openbao sdk/framework/field_data.go, backend.go):
 * - each field has a type; raw values are converted with mapstructure.WeakDecode, so TypeBool
 *   takes booleans, JSON numbers and the strings strconv.ParseBool knows ("1", "t",
 *   "T", "TRUE", "true", "True", "0", "f", …, and "" = false); TypeString takes strings, booleans
 *   ("1"/"0") and numbers; TypeInt takes integers, booleans and integer strings;
 * - a missing field takes its default (or the type's zero value); a null one the zero value;
 * - data keys outside the path's fields are ignored, with the warning
 *   `Endpoint ignored these unrecognized parameters: [a b]` (sorted, Go's %v of a []string);
 *   a data key also captured from the URL (`name`) is overwritten by the URL, with the warning
 *   `Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [name]`.
 * A conversion failure names the field: `error converting input for field "x": …`. The tail of the
 * message follows mapstructure's wording for the common cases; it is not byte-exact for all.
 */

/** Field types the plugin uses. */
export type FieldType = 'string' | 'bool' | 'int';

/** One field: its type and default. */
export interface FieldSpec {
  readonly type: FieldType;
  readonly default?: string | boolean | number;
}

/** A conversion failure; `field` is the field's name. */
export class BaoFieldError extends Error {
  override readonly name = 'BaoFieldError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`error converting input for field "${field}": ${detail}`);
  }
}

const TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** Go's %T-ish name of a decoded JSON value, for "unconvertible type" messages. */
function goType(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (v !== null && typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return 'json.Number';
  return typeof v;
}

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  // A JSON number arrives as json.Number, a string kind: strconv.ParseBool of its text.
  if (typeof v === 'number') return toBool(String(v));
  if (typeof v === 'string') {
    if (TRUE.includes(v)) return true;
    if (FALSE.includes(v) || v === '') return false;
    throw new Error(
      `cannot parse '' as bool: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
    );
  }
  throw new Error(`'' expected type 'bool', got unconvertible type '${goType(v)}'`);
}

function toStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  throw new Error(`'' expected type 'string', got unconvertible type '${goType(v)}'`);
}

function toInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    throw new Error(`cannot parse '' as int: strconv.ParseInt: parsing "${String(v)}": invalid syntax`);
  }
  if (typeof v === 'string') {
    if (v === '') return 0;
    // strconv.ParseInt(s, 0, 0): optional sign, 0x / 0o / 0b / leading-0 octal prefixes, '_' separators.
    const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(v);
    const digits = m?.[2]?.replace(/_/g, '');
    const n =
      digits === undefined
        ? NaN
        : /^0[0-7]+$/.test(digits)
          ? parseInt(digits, 8)
          : Number(
              digits
                .replace(/^0[oO]/, '0o')
                .replace(/^0[bB]/, '0b')
                .replace(/^0[xX]/, '0x'),
            );
    if (!Number.isSafeInteger(n))
      throw new Error(
        `cannot parse '' as int: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`,
      );
    return m![1] === '-' ? -n : n;
  }
  throw new Error(`'' expected type 'int', got unconvertible type '${goType(v)}'`);
}

/** Decoded field values plus the framework's warnings. */
export interface FieldData {
  /** Value of `field` (decoded, or its default / zero value). */
  get(field: string): unknown;
  /** The warnings the framework adds to a successful response. */
  readonly warnings: readonly string[];
}

const zero = (t: FieldType): string | boolean | number => (t === 'bool' ? false : t === 'int' ? 0 : '');

/**
 * Validate `data` against `fields` and merge the URL `captures` over it (FieldData.Validate).
 * @throws BaoFieldError for the first field (in sorted order) whose value does not convert.
 */
export function decodeFields(
  fields: Readonly<Record<string, FieldSpec>>,
  data: Readonly<Record<string, unknown>> | undefined,
  captures: Readonly<Record<string, string>>,
): FieldData {
  const raw: Record<string, unknown> = { ...data };
  const ignored = Object.keys(raw)
    .filter((k) => !Object.hasOwn(fields, k))
    .sort();
  const replaced = Object.keys(captures)
    .filter((k) => raw[k] !== undefined && raw[k] !== null)
    .sort();
  Object.assign(raw, captures);
  const values = new Map<string, unknown>();
  for (const name of Object.keys(raw).sort()) {
    // Own fields only: `constructor`, `toString` or `__proto__` are not declared fields.
    const spec = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const v = raw[name];
    if (spec === undefined || v === undefined) continue;
    if (v === null) {
      // WeakDecode(nil) leaves the zero value, and GetOk returns it (not the default).
      values.set(name, zero(spec.type));
      continue;
    }
    try {
      values.set(name, spec.type === 'bool' ? toBool(v) : spec.type === 'int' ? toInt(v) : toStr(v));
    } catch (e) {
      throw new BaoFieldError(name, (e as Error).message);
    }
  }
  const warnings: string[] = [];
  if (ignored.length > 0)
    warnings.push(`Endpoint ignored these unrecognized parameters: [${ignored.join(' ')}]`);
  if (replaced.length > 0)
    warnings.push(
      `Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [${replaced.join(' ')}]`,
    );
  return {
    warnings,
    get(field) {
      if (values.has(field)) return values.get(field);
      const spec = Object.hasOwn(fields, field) ? fields[field] : undefined;
      return spec === undefined ? undefined : (spec.default ?? zero(spec.type));
    },
  };
}
