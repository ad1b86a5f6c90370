/**
 * Typed errors of the step-by-step FROST tools (`fanout frost dkg coordinator …`, `fanout frost
 * sign coordinator …`, `fanout frost participant`). Each is a usage error of the CLI (exit 2): the
 * operator's own files or the order of the steps, never a participant's misbehaviour.
 */

/** A session, key or public-identity file is unreadable, not JSON, or has a bad field. */
export class ToolFileError extends Error {
  override readonly name: string = 'ToolFileError';
  /**
   * @param file the file's path as given.
   * @param field the dotted path of the bad field (`(root)` for the whole file, `dkg.minSigners`).
   * @param detail what was wrong with it.
   */
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${file}: field '${field}': ${detail}`);
  }
}

/** The coordinator's session file is bad (see {@link ToolFileError}). */
export class SessionFileError extends ToolFileError {
  override readonly name = 'SessionFileError';
}

/** A party's key file or a public identity file is bad (see {@link ToolFileError}). */
export class KeyFileError extends ToolFileError {
  override readonly name = 'KeyFileError';
}

/** A coordinator step was run out of order (e.g. `dkg coordinator round2` before `round1`). */
export class StepOrderError extends Error {
  override readonly name = 'StepOrderError';
  /**
   * @param step the step that was asked for, e.g. `dkg round2`.
   * @param state where the session is, e.g. `invited`.
   * @param next the command to run instead (or what is missing).
   */
  constructor(
    readonly step: string,
    readonly state: string,
    readonly next: string,
  ) {
    super(`${step}: out of order: the session is at '${state}'; ${next}`);
  }
}

/** A flag's value is unusable (an unknown invitee name, a session file that already exists…). */
export class ToolInputError extends Error {
  override readonly name = 'ToolInputError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
