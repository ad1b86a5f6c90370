// Worker threads do not inherit tsx's loader from `--import tsx`: register it, then load the
// TypeScript entry named in workerData.entry (a file: URL).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
