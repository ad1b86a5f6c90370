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

/**
 * Describe the fields of an options schema (for help texts and flag parsers), in declaration
 * order. Wrappers (default, optional) are looked through.
 */
export function describeOptions(schema: OptionsSchema): OptionInfo[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    let t = field as z.ZodType;
    let def: unknown;
    let optional = false;
    let description = t.description;
    for (;;) {
      if (t instanceof z.ZodDefault) {
        def = (t as z.ZodDefault<z.ZodType>).def.defaultValue;
        t = (t as z.ZodDefault<z.ZodType>).def.innerType as z.ZodType;
      } else if (t instanceof z.ZodOptional) {
        optional = true;
        t = (t as z.ZodOptional<z.ZodType>).def.innerType as z.ZodType;
      } else break;
      description ??= t.description;
    }
    let kind: OptionInfo['kind'] = 'other';
    let choices: string[] | undefined;
    if (t instanceof z.ZodNumber) kind = t.isInt ? 'integer' : 'number';
    else if (t instanceof z.ZodBoolean) kind = 'boolean';
    else if (t instanceof z.ZodString) kind = 'string';
    else if (t instanceof z.ZodEnum) {
      kind = 'enum';
      choices = (t as z.ZodEnum).options.map(String);
    }
    return { name, kind, description, default: def, choices, optional };
  });
}
