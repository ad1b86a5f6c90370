/**
 * What every command of the CLI shares: the scenario catalogue (built-ins and the user's
 * config), output, the wall clock (the CLI is where the real clock is passed in), interruption.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { FaultPlanError, parseFaultPlan, type FaultPlan } from '@fanout/sim';
import type { Catalog } from './catalog.js';

/** Shared by the commands (see the module docstring). */
export interface Env {
  /** The catalogue, with the config loaded (the first call loads it). */
  catalog(): Promise<Catalog>;
  /** Print a line to stdout. */
  log(line: string): void;
  /** Print a line to stderr. */
  error(line: string): void;
  /** stdout is a terminal and not CI: live boards instead of lines. */
  readonly interactive: boolean;
  /** The real clock's reading, ms. */
  now(): number;
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Set the exit code of the command. */
  exit(code: number): void;
}

export { wallNow } from './wall.js';

/**
 * Read and validate a fault plan file (`--plan FILE`).
 * @throws InvalidArgumentError naming the file and every bad path of the plan.
 */
export function readPlanFile(path: string): FaultPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`cannot read plan ${path}: ${(e as Error).message}`);
  }
  try {
    return parseFaultPlan(JSON.parse(text));
  } catch (e) {
    if (e instanceof FaultPlanError)
      throw new InvalidArgumentError(`${path}: ${e.message.replace(/\n\s*/g, '; ')}`);
    throw new InvalidArgumentError(`${path} is not JSON: ${(e as Error).message}`);
  }
}
