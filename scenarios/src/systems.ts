/**
 * The built-in systems, loaded lazily: a command that runs only RAIDA scenarios never loads the
 * DHT, FROST or Bao code, and a run loads a system's scenarios without its demo and its
 * stand-alone simulator (their live-socket code). Each entry names what it offers, so the CLI can
 * build its command tree before loading anything; a test checks every entry against its module.
 */
import type { Scenario } from './kernel/define.js';
import type { SystemModule } from './kernel/system.js';

/** A built-in system: its name, what it offers, and how to load it. */
export interface SystemEntry {
  readonly name: string;
  readonly title: string;
  readonly hasDemo: boolean;
  readonly hasSim: boolean;
  /** The whole system module: scenarios, demo and simulator. */
  load(): Promise<SystemModule>;
  /** Only its scenarios (the same objects as `(await load()).scenarios`), without the demo and simulator code. */
  scenarios(): Promise<readonly Scenario[]>;
}

/** The built-in systems, in documentation order. */
export const BUILTIN_SYSTEMS: readonly SystemEntry[] = [
  {
    name: 'raida',
    title: 'RAIDA: 25 UDP servers, 13 must agree',
    hasDemo: false,
    hasSim: true,
    load: async () => (await import('./raida/index.js')).default,
    scenarios: async () => (await import('./raida/scenarios.js')).raidaScenarios,
  },
  {
    name: 'frost',
    title: 'FROST threshold signing over a Hubert KV store',
    hasDemo: true,
    hasSim: true,
    load: async () => (await import('./frost/index.js')).default,
    scenarios: async () => (await import('./frost/scenarios.js')).frostScenarios,
  },
  {
    name: 'hubert',
    title: 'Hubert: the write-once KV store FROST parties talk through',
    hasDemo: false,
    hasSim: true,
    load: async () => (await import('./frost/hubert-system.js')).default,
    scenarios: async () => [],
  },
  {
    name: 'dht',
    title: 'DHT offline messages: a recipient fetching 100 contacts’ outboxes',
    hasDemo: true,
    hasSim: true,
    load: async () => (await import('./dht/index.js')).default,
    scenarios: async () => (await import('./dht/scenarios.js')).dhtScenarios,
  },
  {
    name: 'bao',
    title: 'Bao keyring: secp256k1 keys in OpenBao for parallel Celestia workers',
    hasDemo: true,
    hasSim: true,
    load: async () => (await import('./bao/index.js')).default,
    scenarios: async () => (await import('./bao/scenarios.js')).baoScenarios,
  },
  {
    name: 'prime',
    title: 'Prime: a federated-training coordinator fanning out rounds to trainer nodes',
    hasDemo: true,
    hasSim: true,
    load: async () => (await import('./prime/index.js')).default,
    scenarios: async () => (await import('./prime/scenarios.js')).primeScenarios,
  },
];
