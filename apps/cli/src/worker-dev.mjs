// The worker entry when the CLI runs from its TypeScript sources (this repository, through tsx):
// loader hooks registered in the main thread do not reach worker threads on Node 20, so the
// worker registers tsx itself before loading worker.ts. The published CLI runs dist/worker.js.
import { register } from 'tsx/esm/api';

register();
const { default: runShare, probe } = await import('./worker.ts');
export default runShare;
export { probe };
