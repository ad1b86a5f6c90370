/**
 * Command-line flags derived from option schemas: each field of a zod options object becomes
 * `--kebab-case <value>` (booleans: `--flag` / `--no-flag`), with its description, choices and
 * default in the help text. Values are parsed to the field's kind here (a usage error names the
 * flag); the schema then validates ranges and writes defaults, once, in the same place for the
 * CLI, a replay file and a user's own test.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { describeOptions, type OptionInfo, type OptionsSchema } from '@fanout/scenarios';
import { parseSeed } from '@fanout/sim';

/** `slowMs` → `slow-ms`. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Parse one flag value to the option's kind.
 * @throws InvalidArgumentError naming the flag and what it expected.
 */
export function parseValue(info: OptionInfo, flag: string, v: string): unknown {
  switch (info.kind) {
    case 'integer':
    case 'number': {
      if (info.name === 'seed') {
        try {
          return parseSeed(v);
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      }
      if (/^(inf|infinity|none)$/i.test(v.trim())) return Infinity;
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n) || (info.kind === 'integer' && !Number.isInteger(n)))
        throw new InvalidArgumentError(
          `${flag} must be ${info.kind === 'integer' ? 'an integer' : 'a number'}, got "${v}"`,
        );
      return n;
    }
    case 'enum':
      if (!info.choices!.includes(v))
        throw new InvalidArgumentError(`${flag} must be one of ${info.choices!.join(', ')}, got "${v}"`);
      return v;
    default:
      return v;
  }
}

function help(info: OptionInfo): string {
  const def = info.default === undefined ? '' : ` (default: ${JSON.stringify(info.default)})`;
  return `${info.description ?? info.name}${def}`;
}

/**
 * Add one flag per field of `schema` to `command`. Returns the field names, to pick the parsed
 * values out of commander's options afterwards ({@link pickOptions}).
 */
export function addSchemaFlags(
  command: Command,
  schema: OptionsSchema,
  skip: readonly string[] = [],
): string[] {
  const names: string[] = [];
  for (const info of describeOptions(schema)) {
    if (skip.includes(info.name)) continue;
    const flag = `--${kebab(info.name)}`;
    names.push(info.name);
    if (info.kind === 'boolean') {
      // `--x` turns on what is off by default, `--no-x` turns off what is on by default.
      // An optional boolean without a default (decided at run time) gets both.
      if (info.default !== true) command.option(flag, help(info));
      if (info.default !== false)
        command.option(`--no-${kebab(info.name)}`, `turn off: ${info.description ?? info.name}`);
      continue;
    }
    const o = new Option(
      `${flag} <${info.kind === 'enum' ? 'value' : info.kind === 'string' ? 'text' : 'n'}>`,
      help(info),
    );
    if (info.choices !== undefined) o.choices(info.choices);
    o.argParser((v: string) => parseValue(info, flag, v));
    command.addOption(o);
  }
  return names;
}

/** The options among `names` that the user gave (undefined ones left out, so defaults apply). */
export function pickOptions(
  given: Record<string, unknown>,
  names: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (given[n] !== undefined) out[n] = given[n];
  return out;
}

/**
 * `--set key=value` for scenario options: the value is JSON when it parses as JSON (numbers,
 * booleans, arrays), else the text.
 * @throws InvalidArgumentError for a pair without `=`.
 */
export function setArg(v: string, prev: Record<string, unknown> = {}): Record<string, unknown> {
  const at = v.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`--set takes key=value, got "${v}"`);
  const key = v.slice(0, at);
  const text = v.slice(at + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // plain text
  }
  return { ...prev, [key]: value };
}

/**
 * A positive integer flag parser (`--runs`, `--jobs`).
 * @throws InvalidArgumentError naming the flag and the range.
 */
export function intArg(flag: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
}

/** Default --budget of `run --until-failure`, ms. */
export const DEFAULT_BUDGET_MS = 60_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parse a duration flag: `500ms`, `60s`, `2m`, `1h`, or a bare number of seconds.
 * @throws InvalidArgumentError naming the flag for anything else, or a duration <= 0.
 */
export function durationArg(flag: string) {
  return (v: string): number => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
    const ms = m === null ? NaN : Number(m[1]) * UNITS[m[2] ?? 's']!;
    if (!(ms > 0 && Number.isFinite(ms)))
      throw new InvalidArgumentError(`${flag} must be a duration like 500ms, 60s, 2m or 1h, got "${v}"`);
    return ms;
  };
}
