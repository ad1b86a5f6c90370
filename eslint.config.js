// ESLint flat config for fanout-lab.
// The determinism rule: code that can run under the simulated clock must take time and randomness
// from an injected Clock / seeded generator. The only exceptions are the Clock implementations
// themselves, the live (real-socket) tier, and benchmarks, which measure wall time on purpose.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const determinism = {
  'no-restricted-globals': [
    'error',
    {
      name: 'setTimeout',
      message: 'Use the injected Clock (clock.setTimer / clock.sleep): determinism rule.',
    },
    { name: 'setInterval', message: 'Use the injected Clock: determinism rule.' },
    { name: 'setImmediate', message: 'Use the injected Clock: determinism rule.' },
    { name: 'clearTimeout', message: 'Use the injected Clock: determinism rule.' },
    { name: 'clearInterval', message: 'Use the injected Clock: determinism rule.' },
    { name: 'performance', message: 'Use the injected Clock (clock.now()): determinism rule.' },
  ],
  'no-restricted-properties': [
    'error',
    {
      object: 'Math',
      property: 'random',
      message: 'Use a seeded generator from @fanout/sim: determinism rule.',
    },
    { object: 'Date', property: 'now', message: 'Use the injected Clock (clock.now()): determinism rule.' },
    { object: 'performance', property: 'now', message: 'Use the injected Clock: determinism rule.' },
    { object: 'globalThis', property: 'setTimeout', message: 'Use the injected Clock: determinism rule.' },
    { object: 'globalThis', property: 'setInterval', message: 'Use the injected Clock: determinism rule.' },
  ],
  'no-restricted-imports': [
    'error',
    {
      paths: ['timers', 'node:timers', 'timers/promises', 'node:timers/promises'].map((name) => ({
        name,
        message:
          'Timers imported from node:timers bypass the Clock: use the injected Clock (determinism rule).',
      })),
    },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'new Date() reads the wall clock: use the injected Clock.',
    },
    {
      selector: 'ImportExpression[source.value=/^(node:)?timers(\\u002Fpromises)?$/]',
      message:
        'Timers imported from node:timers bypass the Clock: use the injected Clock (determinism rule).',
    },
    {
      selector:
        "CallExpression[callee.name='require'][arguments.0.value=/^(node:)?timers(\\u002Fpromises)?$/]",
      message:
        'Timers required from node:timers bypass the Clock: use the injected Clock (determinism rule).',
    },
  ],
};

// I/O (sockets, files, processes) lives in live/ and io/ folders, the CLI, benchmarks and tests:
// everything else is sans-I/O (DESIGN.md principle 1) and can run under the simulated clock.
const IO_MODULES = ['dgram', 'net', 'fs', 'fs/promises', 'child_process', 'http', 'https'].flatMap((m) => [
  m,
  `node:${m}`,
]);
const sansIo = {
  ...determinism,
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...determinism['no-restricted-imports'][1].paths,
        ...IO_MODULES.map((name) => ({
          name,
          message: 'I/O belongs in a live/ or io/ folder (sans-I/O cores, DESIGN.md principle 1).',
        })),
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', 'reports/**', '.fanout/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests that can run under the simulated clock, and the CLI (which passes the real clock in).
    files: [
      'packages/*/test/**/*.ts',
      'simulators/*/test/**/*.ts',
      'scenarios/test/**/*.ts',
      'apps/*/src/**/*.ts',
    ],
    rules: determinism,
  },
  {
    // Library code: under the simulated clock, and sans-I/O.
    files: ['packages/*/src/**/*.ts', 'simulators/*/src/**/*.ts', 'scenarios/src/**/*.ts'],
    rules: sansIo,
  },
  {
    // Exceptions, each on purpose: the real clock / the virtual clock's driver, the live
    // socket tier (servers on 127.0.0.1 run on wall time). The CLI's terminal display disables the
    // rule line by line where it needs a wall-clock ticker.
    files: [
      'packages/core/src/clock.ts',
      'packages/*/src/live/**/*.ts',
      'simulators/*/src/live/**/*.ts',
      'packages/*/test/live/**/*.ts',
      'simulators/*/test/live/**/*.ts',
      'scenarios/src/**/live/**/*.ts',
      'scenarios/test/**/live/**/*.ts',
      'scenarios/test-next/**/live/**/*.ts',
    ],
    rules: {
      'no-restricted-globals': 'off',
      'no-restricted-properties': 'off',
      'no-restricted-syntax': 'off',
      'no-restricted-imports': 'off',
    },
  },
  {
    // File I/O folders (replay and trace files, configs): sans-socket, but they read and write files.
    files: ['packages/*/src/io/**/*.ts', 'scenarios/src/**/io/**/*.ts'],
    rules: { 'no-restricted-imports': determinism['no-restricted-imports'] },
  },
);
