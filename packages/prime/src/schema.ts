/**
 * Turning zod errors into the package's typed errors: every issue becomes `{path, message}` with a
 * dotted path under a root ('config', 'node', 'update' …), unknown keys one issue each.
 */
import type { z } from 'zod';
import type { PrimeIssue } from './errors.js';

/**
 * Flatten a zod error into `{path, message}` pairs under `root` (e.g. 'config.byzantineTolerance').
 * @param error the zod error
 * @param root the name in front of every path ('config', 'node', 'update', …)
 */
export function schemaIssues(error: z.ZodError, root: string): PrimeIssue[] {
  const out: PrimeIssue[] = [];
  for (const issue of error.issues) {
    const base = [root, ...issue.path.map((p) => String(p))].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: `${base}.${key}`, message: 'unknown field' });
    } else {
      out.push({ path: base, message: issue.message });
    }
  }
  return out;
}
