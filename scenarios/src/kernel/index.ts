/**
 * @fanout/scenarios — the scenario kernel: define a scenario (workload, fault plan, guarantees),
 * run it once or many times in virtual time or live, check determinism, replay a saved run. The
 * built-in systems are in subpaths (`@fanout/scenarios/raida`, `/dht`, `/frost`, `/bao`,
 * `/prime`), listed lazily by `@fanout/scenarios/systems`.
 */
export * from './types.js';
export * from './options.js';
export * from './plan-view.js';
export * from './world.js';
export * from './define.js';
export * from './run.js';
export * from './many.js';
export * from './determinism.js';
export * from './system.js';
export * from './services.js';
export * from './io/replay-files.js';
export * from './shrink.js';
