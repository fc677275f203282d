/**
 * Unlocking ahead of the CLI's own start-up. The launcher (bin/mmry.js)
 * calls `unlockAheadFor(argv)` before it loads the rest of the program, so
 * that for a command that opens a vault with a password given up front,
 * Argon2id runs on the thread pool while the modules load (about 60 ms of
 * every such command; see `unlockAhead`). A guess that is wrong (a usage
 * error, another folder) is simply never taken: the command parses its
 * arguments, reads its password and reports any problem as always.
 */
import { parseArgs } from 'node:util';
import { unlockAhead } from '../engine/keys/index.ts';
import { givenPassword } from './password.ts';

/** The commands that open the vault named by their first argument, with a password. */
const OPENS_VAULT = new Set(['backup', 'snapshots', 'ls', 'restore', 'diff', 'stats']);

export async function unlockAheadFor(argv: readonly string[]): Promise<void> {
  if (!OPENS_VAULT.has(argv[0] ?? '')) return;
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(1),
      strict: false,
      allowPositionals: true,
      // Every option that takes a value, so that value is not taken for the vault.
      options: { 'password-file': { type: 'string' }, project: { type: 'string' }, exclude: { type: 'string', multiple: true }, path: { type: 'string', multiple: true } },
    });
    const vault = positionals[0];
    const file = values['password-file'];
    const password = await givenPassword(typeof file === 'string' ? file : undefined);
    if (vault && password) unlockAhead(vault, password);
  } catch {
    // the command itself meets the problem and reports it
  }
}
