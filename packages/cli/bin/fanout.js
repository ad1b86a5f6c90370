#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step in this workspace).
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
