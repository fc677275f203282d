/** Turns SQLite failures into VaultErrors a person can act on. */
import { fromSystemError, VaultError } from '../errors.ts';

export function sqliteError(err: unknown, path: string): VaultError {
  if (err instanceof VaultError) return err;
  const code = (err as { code?: unknown } | null | undefined)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    return typeof code === 'string' ? fromSystemError(err, `the catalog ${path}`) : new VaultError('internal', `Catalog error: ${detail}`, { cause: err });
  }
  const base = code.split('_').slice(0, 2).join('_');
  switch (base) {
    case 'SQLITE_NOTADB':
      return new VaultError('damaged-data', `The catalog could not be decrypted: ${path} is damaged or belongs to another vault.`, { cause: err });
    case 'SQLITE_CORRUPT':
      return new VaultError('damaged-data', `The catalog ${path} is damaged (${detail}).`, { cause: err });
    case 'SQLITE_FULL':
      return new VaultError('disk-full', `The disk is full while writing the catalog ${path}; free some space and try again.`, { cause: err });
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new VaultError('permission-denied', `The catalog ${path} cannot be written (${detail}).`, { cause: err });
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new VaultError('vault-in-use', `The catalog ${path} is in use by another process.`, { cause: err });
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_IOERR':
      return new VaultError('io', `Could not access the catalog ${path}: ${detail}`, { cause: err });
    default:
      return new VaultError('internal', `Catalog error in ${path}: ${detail}`, { cause: err });
  }
}
