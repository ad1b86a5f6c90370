/**
 * Subcommands contributed per system. Each module exports `register(program, exit)`; `exit(code)`
 * sets the process exit code once the action finishes. Keep one import + one entry per system.
 */
import type { Command } from 'commander';
import { registerFrost } from './frost.js';

export type Register = (program: Command, exit: (code: number) => void) => void;

export const registrations: Record<string, Register> = {
  frost: registerFrost,
};
