/**
 * Test helpers: the Prime scenarios by name (production or with seams), plans written straight
 * from arbitrary trainer faults, and an assertion that every guarantee of a run held.
 */
import { expect } from 'vitest';
import { parseFaultPlan, type FaultPlan, type FaultPlanInput } from '@fanout/sim';
import type { RunResult, Scenario } from '../../src/kernel/index.js';
import { createPrimeScenarios, primeScenarios } from '../../src/prime/scenarios.js';
import type { PrimeScenarioSeams } from '../../src/prime/kit.js';

/** A production scenario by name. */
export function scenario(name: string): Scenario {
  const s = primeScenarios.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

/** A scenario by name, built with `seams` (a deliberately broken coordinator). */
export function broken(name: string, seams: PrimeScenarioSeams): Scenario {
  return createPrimeScenarios(seams).find((x) => x.name === name)!;
}

/** A plan from rules and a latency. */
export function plan(rules: FaultPlanInput['rules'], latency: FaultPlanInput['latency'] = {}): FaultPlan {
  return parseFaultPlan({ latency, rules });
}

/** Every guarantee of `r` held (with its detail in the failure message). */
export function expectHeld(r: RunResult): void {
  for (const g of r.guarantees) expect(g, `${g.name}: ${g.detail ?? ''}`).toMatchObject({ held: true });
}

/** The violated guarantees of a run, by name. */
export function violated(r: RunResult): string[] {
  return r.guarantees.filter((g) => !g.held).map((g) => g.name);
}
