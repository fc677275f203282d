/**
 * Errors are values with a kind and a sentence for a person.
 *
 * Every failure the engine reports to a user is a VaultError: `kind` is a
 * stable machine-readable tag (the CLI maps it to an exit code, the contract
 * carries it over IPC), `message` is one plain sentence that says what
 * happened and, where it helps, what to do. No stack trace ever reaches a user.
 */
export type VaultErrorKind =
  | 'wrong-password'
  | 'damaged-header'
  | 'not-a-vault'
  | 'vault-exists'
  | 'vault-locked'
  | 'vault-in-use'
  | 'not-found'
  | 'invalid-argument'
  | 'source-inside-vault'
  | 'permission-denied'
  | 'disk-full'
  | 'damaged-data'
  | 'unsafe-path'
  | 'target-exists'
  | 'cancelled'
  | 'io'
  | 'internal';

export class VaultError extends Error {
  readonly kind: VaultErrorKind;

  constructor(kind: VaultErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultError';
    this.kind = kind;
  }
}

export function isVaultError(err: unknown, kind?: VaultErrorKind): err is VaultError {
  return err instanceof VaultError && (kind === undefined || err.kind === kind);
}

/**
 * Turns a Node system error into a VaultError a person can act on.
 * `what` names the thing being worked on, e.g. "the source folder /home/me/x".
 */
export function fromSystemError(err: unknown, what: string): VaultError {
  if (err instanceof VaultError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new VaultError('disk-full', `The disk is full while writing ${what}; free some space and try again.`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new VaultError('permission-denied', `Permission denied for ${what}.`, { cause: err });
    case 'ENOENT':
      return new VaultError('not-found', `${capitalise(what)} does not exist.`, { cause: err });
    case 'EROFS':
      return new VaultError('permission-denied', `${capitalise(what)} is on a read-only disk.`, { cause: err });
    case 'EISDIR':
      return new VaultError('invalid-argument', `${capitalise(what)} is a folder, not a file.`, { cause: err });
    case 'ENOTDIR':
      return new VaultError('not-found', `Something on the path of ${what} is not a folder.`, { cause: err });
    default: {
      const detail = err instanceof Error ? err.message : String(err);
      return new VaultError('io', `Could not access ${what}: ${detail}`, { cause: err });
    }
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
