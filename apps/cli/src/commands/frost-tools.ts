/**
 * `fanout frost …` driven step by step, as upstream's tool (frost-hubert-rust v0.1.0): each
 * coordinator step a separate process keeping its state in a session file, each participant its
 * own process with its own key file, all over a live Hubert server (`fanout sim hubert`):
 *
 *   fanout frost identity --name NAME --out FILE.key.json
 *   fanout frost dkg coordinator invite|round1|round2|finalize --session FILE …
 *   fanout frost sign coordinator invite|round1|round2 --session FILE …
 *   fanout frost participant --key-file FILE --invite ARID …   (also: dkg participant, sign participant)
 *   fanout frost session --session FILE [--invite NAME]
 *
 * Exit codes: 0 the step did its work; 1 it could not (a participant missing, blamed, timed
 * out); 2 usage error (bad flag, bad or corrupt file naming the field, a step out of order);
 * 130 interrupted (the partial picture of the running phase is printed). The work is in
 * @fanout/scenarios/frost (`frostTools`), loaded only when one of these commands runs.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import type { frostTools } from '@fanout/scenarios/frost';
import type { Display } from '../board.js';
import type { Env } from '../env.js';
import { intArg } from '../flags.js';

type Tools = typeof frostTools;

/** Errors that are the operator's own doing: usage errors, exit 2. */
const USAGE_ERRORS = new Set([
  'ToolFileError',
  'SessionFileError',
  'KeyFileError',
  'StepOrderError',
  'ToolInputError',
  'CoordinatorInputError',
  'RoundOptionError',
  'HubertArgumentError',
]);

function urlArg(v: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(v))
    throw new InvalidArgumentError(`--hubert must be an http(s) URL, got "${v}"`);
  return v.replace(/\/+$/, '');
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The terminal renderer (log-update), loaded by an interactive command's {@link action}. */
let terminal: Display | undefined;

/** Run `fn` with the tools (and, on a TTY, the terminal renderer) loaded; a usage error is printed and gives exit 2. */
function action<F>(env: Env, fn: (tools: Tools, flags: F) => Promise<number> | number) {
  return async (flags: F): Promise<void> => {
    const tools = (await import('@fanout/scenarios/frost')).frostTools;
    if (env.interactive) terminal ??= (await import('log-update')).default;
    try {
      env.exit(await fn(tools, flags));
    } catch (e) {
      if (!(e instanceof Error) || !USAGE_ERRORS.has(e.name)) throw e;
      env.error(`${pc.red('error:')} ${e.message}`);
      env.exit(2);
    }
  };
}

/** The sink of a step's display: the TTY board through log-update, or plain lines. */
function sinkOf(env: Env) {
  return {
    interactive: env.interactive,
    line: (l: string) => env.log(l),
    redraw: (frame: string) => terminal?.(frame),
    done: () => terminal?.done(),
  };
}

interface CommonFlags {
  session: string;
  hubert?: string;
  parallel?: number;
  timeout?: number;
  poll?: number;
}

function stepFlags(f: CommonFlags) {
  return {
    session: f.session,
    ...(f.hubert === undefined ? {} : { hubert: f.hubert }),
    ...(f.parallel === undefined ? {} : { parallel: f.parallel }),
    ...(f.timeout === undefined ? {} : { timeoutMs: f.timeout }),
    ...(f.poll === undefined ? {} : { pollMs: f.poll }),
  };
}

/** A coordinator step with the flags every step has. */
function step(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--session <file>', 'the session file')
    .option('--hubert <url>', 'Hubert server URL (default: the one in the session file)', urlArg)
    .option(
      '--parallel <n>',
      'at most N participants in flight at once (default: all)',
      intArg('--parallel', 1, 1000),
    )
    .option(
      '--timeout <ms>',
      'per-participant timeout, ms (default 600000)',
      intArg('--timeout', 1, 86_400_000),
    )
    .option('--poll <ms>', 'Hubert get poll interval, ms (default 1000)', intArg('--poll', 10, 60_000));
}

function registerDkg(frost: Command, env: Env): void {
  const c = frost
    .command('dkg')
    .description('distributed key generation, step by step')
    .command('coordinator');
  c.description('the coordinator’s DKG steps (each a separate process; state in --session)');
  step(c, 'invite', 'start a DKG: create the session file, put one invitation per participant')
    .requiredOption('--key-file <file>', 'the coordinator’s key file (fanout frost identity)')
    .requiredOption('--participant <file>', 'a participant’s public identity file (repeat, 2..100)', collect)
    .requiredOption('--min-signers <n>', 'signing threshold', intArg('--min-signers', 2, 100))
    .option('--charter <text>', 'what the group is for')
    .action(
      action(
        env,
        (
          t,
          f: CommonFlags & { keyFile: string; participant: string[]; minSigners: number; charter?: string },
        ) =>
          t.dkgInvite(
            {
              ...stepFlags(f),
              keyFile: f.keyFile,
              participants: f.participant,
              minSigners: f.minSigners,
              ...(f.charter === undefined ? {} : { charter: f.charter }),
            },
            { sink: sinkOf(env), signal: env.signal },
          ),
      ),
    );
  step(c, 'round1', 'collect every part-1 package, send the round-2 requests').action(
    action(env, (t, f: CommonFlags) => t.dkgRound1(stepFlags(f), { sink: sinkOf(env), signal: env.signal })),
  );
  step(c, 'round2', 'collect every part-2 package set, forward them for finalize').action(
    action(env, (t, f: CommonFlags) => t.dkgRound2(stepFlags(f), { sink: sinkOf(env), signal: env.signal })),
  );
  step(c, 'finalize', 'collect every public key package; all must agree on the group key').action(
    action(env, (t, f: CommonFlags) =>
      t.dkgFinalize(stepFlags(f), { sink: sinkOf(env), signal: env.signal }),
    ),
  );
}

function registerSign(frost: Command, env: Env): void {
  const c = frost.command('sign').description('threshold signing, step by step').command('coordinator');
  c.description('the coordinator’s signing steps (each a separate process; state in --session)');
  step(c, 'invite', 'start a signing session for the group of a finished DKG')
    .requiredOption('--group <file>', 'the session file of the finished DKG')
    .requiredOption('--target <text>', 'the text to sign (FROST signs its SHA-256)')
    .option('--invitee <name>', 'a participant to ask (repeat; default: every member)', collect)
    .option(
      '--quorum-exit',
      'proceed once min-signers invitations are stored (the rest go on in the background)',
    )
    .action(
      action(
        env,
        (t, f: CommonFlags & { group: string; target: string; invitee?: string[]; quorumExit?: boolean }) =>
          t.signInvite(
            {
              ...stepFlags(f),
              group: f.group,
              target: f.target,
              ...(f.invitee === undefined ? {} : { invitees: f.invitee }),
              quorumExit: f.quorumExit === true,
            },
            { sink: sinkOf(env), signal: env.signal },
          ),
      ),
    );
  step(c, 'round1', 'collect commitments, fix the signer set, send the round-2 requests')
    .option('--quorum-exit', 'stop once min-signers commitments arrived (the rest are cancelled)')
    .action(
      action(env, (t, f: CommonFlags & { quorumExit?: boolean }) =>
        t.signRound1(
          { ...stepFlags(f), quorumExit: f.quorumExit === true },
          { sink: sinkOf(env), signal: env.signal },
        ),
      ),
    );
  step(c, 'round2', 'collect the signature shares, aggregate, verify, send the signature').action(
    action(env, (t, f: CommonFlags) => t.signRound2(stepFlags(f), { sink: sinkOf(env), signal: env.signal })),
  );
}

interface ParticipantCli {
  keyFile: string;
  invite: string;
  coordinator?: string[];
  hubert?: string;
  timeout?: number;
  poll?: number;
}

function participant(parent: Command, name: string, env: Env): void {
  parent
    .command(name)
    .description('answer a DKG or signing session from this process, with this participant’s key file')
    .requiredOption('--key-file <file>', 'this participant’s key file (fanout frost identity)')
    .requiredOption('--invite <arid>', 'the invitation’s ARID (fanout frost session --invite NAME)')
    .option('--coordinator <file>', 'a coordinator’s public identity file to trust (repeat)', collect)
    .option('--hubert <url>', 'Hubert server URL (default http://127.0.0.1:45678)', urlArg)
    .option(
      '--timeout <ms>',
      'wait at most this long for each next request, ms (default 3600000)',
      intArg('--timeout', 1, 86_400_000),
    )
    .option('--poll <ms>', 'Hubert get poll interval, ms (default 1000)', intArg('--poll', 10, 60_000))
    .action(
      action(env, (t, f: ParticipantCli) =>
        t.runParticipant(
          {
            keyFile: f.keyFile,
            invite: f.invite,
            ...(f.coordinator === undefined ? {} : { coordinators: f.coordinator }),
            ...(f.hubert === undefined ? {} : { hubert: f.hubert }),
            ...(f.timeout === undefined ? {} : { timeoutMs: f.timeout }),
            ...(f.poll === undefined ? {} : { pollMs: f.poll }),
          },
          { line: (l) => env.log(l), signal: env.signal },
        ),
      ),
    );
}

/**
 * Register the step-by-step commands under the `frost` command group (created if the demo
 * registration did not).
 */
export function registerFrostTools(program: Command, env: Env): void {
  const frost = program.commands.find((c) => c.name() === 'frost') ?? program.command('frost');
  frost
    .command('identity')
    .description('create a party’s key file and its public identity file')
    .requiredOption('--name <name>', 'pet name (Alice, Bob…)')
    .requiredOption('--out <file>', 'the key file to create (secret; e.g. bob.key.json)')
    .addOption(
      new Option('--public <file>', 'the public identity file (default: <name>.pub.json beside --out)'),
    )
    .action(
      action(env, (t, f: { name: string; out: string; public?: string }) => {
        for (const l of t.createIdentityFiles({
          name: f.name,
          out: f.out,
          ...(f.public === undefined ? {} : { public: f.public }),
        }))
          env.log(l);
        return 0;
      }),
    );
  frost
    .command('session')
    .description('where a session file stands, what to run next; --invite NAME prints that invitation ARID')
    .requiredOption('--session <file>', 'the session file')
    .option('--invite <name>', 'print only this participant’s invitation ARID')
    .action(
      action(env, (t, f: { session: string; invite?: string }) => {
        for (const l of t.showSession({
          session: f.session,
          ...(f.invite === undefined ? {} : { invite: f.invite }),
        }))
          env.log(l);
        return 0;
      }),
    );
  participant(frost, 'participant', env);
  registerDkg(frost, env);
  registerSign(frost, env);
  participant(
    frost.commands.find((c) => c.name() === 'dkg')!,
    'participant',
    env,
  );
  participant(
    frost.commands.find((c) => c.name() === 'sign')!,
    'participant',
    env,
  );
}
