/**
 * @fanout/scenarios — the scenario kernel: define a scenario (workload, fault plan, guarantees),
 * run it once or many times in virtual time or live, check determinism, replay a saved run. The
 * built-in systems are in subpaths (`@fanout/scenarios/raida`, `/dht`, `/frost`, `/bao`,
 * `/prime`), listed lazily by `@fanout/scenarios/systems`.
 */
export * from './kernel/types.js';
export * from './kernel/options.js';
export * from './kernel/plan-view.js';
export * from './kernel/world.js';
export * from './kernel/define.js';
export * from './kernel/run.js';
export * from './kernel/many.js';
export * from './kernel/determinism.js';
export * from './kernel/system.js';
export * from './kernel/services.js';
export * from './kernel/io/replay-files.js';
export * from './kernel/shrink.js';
