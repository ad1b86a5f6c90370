/**
 * A run-time fault-control API for stand-alone simulators, in the spirit of Toxiproxy's REST API:
 * list, add, remove and reset fault rules (or replace the whole plan) while the servers run. Every
 * change is validated with the fault-plan schema and takes effect from the next exchange, at every
 * edge that shares the {@link FaultInjector}. Rule windows and crash times stay relative to the
 * simulator's start.
 *
 *   GET    /plan          → 200 {plan}                 the plan in force
 *   PUT    /plan          → 200 {plan} | 400 {error, issues}   replace it (rule ids renumbered)
 *   GET    /rules         → 200 {rules: [{id, rule}]}
 *   POST   /rules         → 201 {id, rule} | 400 {error, issues}   add one rule (body: a rule)
 *   DELETE /rules/:id     → 204 | 404 {error}
 *   POST   /reset         → 204                        back to the plan the simulator started with
 *
 * Ids are integers assigned in order and never reused while the simulator runs.
 */
import { Hono } from 'hono';
import {
  FaultPlanError,
  parseFaultPlan,
  type FaultInjector,
  type FaultPlan,
  type FaultRule,
} from './fault-plan.js';

/** The controller behind the API (usable without HTTP, e.g. from tests). */
export class FaultControl {
  readonly #injector: FaultInjector;
  readonly #initial: FaultPlan;
  #ids: number[];
  #next: number;

  constructor(injector: FaultInjector) {
    this.#injector = injector;
    this.#initial = injector.plan;
    this.#ids = injector.plan.rules.map((_, i) => i);
    this.#next = this.#ids.length;
  }

  /** The plan in force. */
  get plan(): FaultPlan {
    return this.#injector.plan;
  }

  /** The rules in force with their ids. */
  rules(): { id: number; rule: FaultRule }[] {
    return this.plan.rules.map((rule, i) => ({ id: this.#ids[i]!, rule }));
  }

  /**
   * Add one rule.
   * @throws FaultPlanError naming the bad path (e.g. `plan.rules.3.probability`) or an unknown group.
   */
  add(rule: unknown): { id: number; rule: FaultRule } {
    const plan = parseFaultPlan({ ...this.plan, rules: [...this.plan.rules, rule] });
    this.#injector.setPlan(plan);
    const id = this.#next++;
    this.#ids.push(id);
    return { id, rule: plan.rules[plan.rules.length - 1]! };
  }

  /** Remove a rule by id; false when there is none. */
  remove(id: number): boolean {
    const at = this.#ids.indexOf(id);
    if (at < 0) return false;
    const rules = this.plan.rules.filter((_, i) => i !== at);
    this.#injector.setPlan({ ...this.plan, rules });
    this.#ids.splice(at, 1);
    return true;
  }

  /**
   * Replace the whole plan (new ids for its rules).
   * @throws FaultPlanError naming every bad path.
   */
  replace(input: unknown): FaultPlan {
    const plan = parseFaultPlan(input);
    this.#injector.setPlan(plan);
    this.#ids = plan.rules.map(() => this.#next++);
    return plan;
  }

  /** Back to the plan the simulator started with. */
  reset(): void {
    this.#injector.setPlan(this.#initial);
    this.#ids = this.#initial.rules.map(() => this.#next++);
  }
}

const invalid = (e: FaultPlanError) => ({ error: 'invalid fault plan', issues: e.issues });

/**
 * The HTTP API of a {@link FaultControl} as a hono app (routes in the module docstring). Bodies
 * are JSON; a body that is not JSON is 400 `{error: 'body is not JSON'}`.
 */
export function createFaultControlApp(control: FaultControl): Hono {
  const app = new Hono();
  const body = async (req: Request): Promise<{ ok: true; value: unknown } | { ok: false }> => {
    try {
      return { ok: true, value: (await req.json()) as unknown };
    } catch {
      return { ok: false };
    }
  };
  app.get('/plan', (c) => c.json({ plan: control.plan }));
  app.put('/plan', async (c) => {
    const b = await body(c.req.raw);
    if (!b.ok) return c.json({ error: 'body is not JSON' }, 400);
    try {
      return c.json({ plan: control.replace(b.value) });
    } catch (e) {
      if (e instanceof FaultPlanError) return c.json(invalid(e), 400);
      throw e;
    }
  });
  app.get('/rules', (c) => c.json({ rules: control.rules() }));
  app.post('/rules', async (c) => {
    const b = await body(c.req.raw);
    if (!b.ok) return c.json({ error: 'body is not JSON' }, 400);
    try {
      return c.json(control.add(b.value), 201);
    } catch (e) {
      if (e instanceof FaultPlanError) return c.json(invalid(e), 400);
      throw e;
    }
  });
  app.delete('/rules/:id', (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || !control.remove(id))
      return c.json({ error: `no rule with id ${c.req.param('id')}` }, 404);
    return c.body(null, 204);
  });
  app.post('/reset', (c) => {
    control.reset();
    return c.body(null, 204);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  return app;
}
