/** The same scenario with the deliberately broken client (waits for every endpoint). */
import { WaitForAllOracle } from '../src/broken-oracle.js';
import { oracleScenario } from './oracle.js';

export default oracleScenario('oracle.quorum', (o) => new WaitForAllOracle(o));
