/**
 * The Hubert system module: the write-once KV store FROST parties talk through, as a stand-alone
 * simulator (`fanout sim hubert`). It has no scenarios of its own: FROST's exercise it.
 */
import { defineSystem } from '../kernel/system.js';
import { hubertSim } from './live/sim.js';

/** The Hubert system module. */
const hubert = defineSystem({
  name: 'hubert',
  title: 'Hubert: the write-once KV store FROST parties talk through',
  scenarios: [],
  sim: hubertSim,
});
export default hubert;
