/**
 * Scenario and demo options: a zod object schema is the single place where an option's type,
 * range, default and description are written. The runner parses user options through it; the
 * CLI derives its flags from it.
 */
import { z } from 'zod';

/** Options failed validation; `issues` name every bad path (e.g. `options.contacts`). */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  constructor(
    message: string,
    readonly issues: readonly { readonly path: string; readonly message: string }[],
  ) {
    super(message);
  }
}

/** Any zod object schema of options. */
export type OptionsSchema = z.ZodObject<z.ZodRawShape>;

/** The empty options schema (a scenario without options). */
export const noOptions = z.object({}).strict();

/**
 * Parse `input` through `schema` (defaults filled in). `where` prefixes the error paths
 * (e.g. 'raida.no-hol options').
 * @throws OptionsError naming every bad path and what was wrong, e.g.
 *   `raida.no-hol options: slowMs: Too small: expected number to be >0`.
 */
export function parseOptions<S extends OptionsSchema>(schema: S, input: unknown, where: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: i.path.length === 0 ? '(options)' : i.path.map(String).join('.'),
    message: i.message,
  }));
  throw new OptionsError(`${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** One option as the CLI sees it: name, kind, description, default, allowed values. */
export interface OptionInfo {
  readonly name: string;
  readonly kind: 'number' | 'integer' | 'boolean' | 'string' | 'enum' | 'other';
  readonly description: string | undefined;
  readonly default: unknown;
  readonly choices: readonly string[] | undefined;
  readonly optional: boolean;
}

/** The zod internals describeOptions reads (zod 4's `_zod.def`), by type name: no `instanceof`, so
 * a schema built with another copy of zod (a user's own dependency) is described all the same. */
interface ZodDefView {
  readonly type: string;
  readonly innerType?: ZodLike;
  readonly defaultValue?: unknown;
  readonly entries?: Record<string, unknown>;
}
interface ZodLike {
  readonly _zod: { readonly def: ZodDefView };
  readonly description?: string;
  readonly isInt?: boolean;
}

/**
 * Describe the fields of an options schema (for help texts and flag parsers), in declaration
 * order. Wrappers (default, optional) are looked through.
 */
export function describeOptions(schema: OptionsSchema): OptionInfo[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    let t = field as unknown as ZodLike;
    let def: unknown;
    let optional = false;
    let description = t.description;
    for (;;) {
      const d = t._zod.def;
      if (d.type === 'default') def = d.defaultValue;
      else if (d.type === 'optional') optional = true;
      else break;
      t = d.innerType!;
      description ??= t.description;
    }
    const type = t._zod.def.type;
    let kind: OptionInfo['kind'] = 'other';
    let choices: string[] | undefined;
    if (type === 'number') kind = t.isInt === true ? 'integer' : 'number';
    else if (type === 'boolean') kind = 'boolean';
    else if (type === 'string') kind = 'string';
    else if (type === 'enum') {
      kind = 'enum';
      choices = Object.values(t._zod.def.entries ?? {}).map(String);
    }
    return { name, kind, description, default: def, choices, optional };
  });
}
