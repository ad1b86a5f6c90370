/**
 * The step-by-step FROST tools, as upstream's tool is driven (frost-hubert-rust v0.1.0): the
 * coordinator's `dkg coordinator invite | round1 | round2 | finalize` and `sign coordinator invite |
 * round1 | round2`, each a separate process keeping its state in a session file, and participants
 * answering from their own processes with their own key files, over a live Hubert server.
 */
export * from './errors.js';
export * from './json.js';
export * from './session-file.js';
export * from './key-file.js';
export * from './display.js';
export * from './live/io.js';
export * from './live/step-runner.js';
export * from './live/dkg-steps.js';
export * from './live/sign-steps.js';
export * from './live/participant.js';
export * from './live/identity-session.js';
