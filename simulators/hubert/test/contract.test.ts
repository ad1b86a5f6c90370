import { VirtualClock } from '@fanout/core';
import { describe } from 'vitest';
import {
  createHubertApp,
  createMemoryKvStore,
  createServerKvStore,
  HubertHttpClient,
  HybridKvStore,
  MainlineKvStore,
} from '../src/index.js';
import { kvStoreContract, kvStoreVirtualContract, type ContractSubject } from './contract.js';
import { seededRng } from './helpers.js';

let seed = 1;
const subjects: Record<string, () => ContractSubject> = {
  memory: () => {
    const clock = new VirtualClock();
    return {
      store: createMemoryKvStore({ clock }),
      clock,
      virtual: clock,
      pollMs: 500,
      rng: seededRng(seed++),
    };
  },
  server: () => {
    const clock = new VirtualClock();
    return {
      store: createServerKvStore({ clock }),
      clock,
      virtual: clock,
      pollMs: 1000,
      rng: seededRng(seed++),
    };
  },
  mainline: () => {
    const clock = new VirtualClock();
    return {
      store: new MainlineKvStore({ clock }),
      clock,
      virtual: clock,
      pollMs: 1000,
      rng: seededRng(seed++),
    };
  },
  hybrid: () => {
    const clock = new VirtualClock();
    const rng = seededRng(seed++);
    return {
      store: new HybridKvStore({ clock, rng: seededRng(seed++) }),
      clock,
      virtual: clock,
      pollMs: 1000,
      rng,
    };
  },
  'http client over app.fetch (in-process)': () => {
    const clock = new VirtualClock();
    const app = createHubertApp(createServerKvStore({ clock }));
    const store = new HubertHttpClient({ baseUrl: 'http://hubert.sim', fetch: app.fetch, clock });
    return { store, clock, virtual: clock, pollMs: 1000, rng: seededRng(seed++) };
  },
};

for (const [name, make] of Object.entries(subjects)) {
  describe(`KvStore contract: ${name}`, () => {
    kvStoreContract(make);
    kvStoreVirtualContract(make);
  });
}
