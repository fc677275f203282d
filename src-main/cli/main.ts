/**
 * The `mmry` command: a thin shell over the engine. Parsing and printing live
 * here; every vault operation is an engine call. Errors reach the user as one
 * line on stderr and a non-zero exit code, never as a stack trace.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { VaultError } from '../engine/errors.ts';
import { repairCommand, verifyCommand } from './heal-commands.ts';
import { backupCommand, diffCommand, initCommand, lsCommand, passwdCommand, restoreCommand, snapshotsCommand, statsCommand } from './vault-commands.ts';

export const USAGE = `Usage: mmry <command> [options]

Commands:
  init VAULT [--redundancy PERCENT]             create a vault in a new or empty folder (parity, default 10)
  backup VAULT SOURCE [--project NAME] [--exclude PATTERN]... [--json]
                                                snapshot a folder into the vault
  snapshots VAULT [--project NAME] [--json]     list snapshots
  ls VAULT SNAPSHOT [PATH] [--json]             list a folder of a snapshot
  restore VAULT SNAPSHOT TARGET [--path P]... [--overwrite] [--json]
                                                restore a snapshot (or paths of it) into TARGET
  diff VAULT SNAPSHOT_A SNAPSHOT_B [--json]     what changed between two snapshots
  stats VAULT [--json]                          sizes, savings and what the engine learned
  passwd VAULT [--new-password-file FILE]       change the vault password
  verify VAULT [--read-data] [--json]           find damage: checksums of every stripe (and with
                                                --read-data, authenticate every blob); exit 0 only if healthy
  repair VAULT [--json]                         rebuild damaged files from parity, rebuild the catalog; what is
                                                beyond repair, the next backup stores again from the source
  serve [--port N] [--vault DIR] [--data-dir DIR]
                                                serve the app UI to a browser on 127.0.0.1 (settings and the
                                                default vault live in DIR, the app's data folder by default)

SNAPSHOT is an id, a unique id prefix, or 'latest' (of --project when given).
The password comes from MMRY_PASSWORD, --password-file FILE, or a prompt on a terminal.

Options:
  -h, --help       show this help
  -v, --version    show the version`;

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Progress bars and prompts only on a terminal. */
  isTTY?: boolean;
}

/**
 * A reader that goes away (`mmry stats | head -2`) is not an error of the
 * command: what it still prints goes nowhere, and the command finishes and
 * exits as it would have. Without this Node throws EPIPE with a stack trace.
 */
let stdoutGone = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutGone = true;
});

const defaultIO: CliIO = {
  isTTY: Boolean(process.stderr.isTTY && process.stdin.isTTY),
  out: (t) => {
    if (!stdoutGone) process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  },
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

export class UsageError extends Error {}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type Command = (argv: string[], io: CliIO) => Promise<number>;

const commands: Record<string, Command> = {
  init: initCommand,
  backup: backupCommand,
  snapshots: snapshotsCommand,
  ls: lsCommand,
  restore: restoreCommand,
  diff: diffCommand,
  stats: statsCommand,
  passwd: passwdCommand,
  verify: verifyCommand,
  repair: repairCommand,
  // The UI bridge (HTTP, WebSocket, the contract and its handlers) loads only for `serve`:
  // every other command starts faster without it.
  serve: async (argv, io) => (await import('./serve.ts')).serveCommand(argv, io),
};

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out(USAGE);
    return first === undefined ? 1 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.out(packageVersion());
    return 0;
  }
  const command = Object.hasOwn(commands, first) ? commands[first] : undefined;
  try {
    if (!command) throw new UsageError(`unknown command '${first}'`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(USAGE);
      return 0;
    }
    return await command(rest, io);
  } catch (err) {
    return reportError(err, io);
  }
}

export function reportError(err: unknown, io: CliIO): number {
  if (err instanceof UsageError) {
    io.err(`mmry: ${err.message}\n${USAGE}`);
    return 1;
  }
  if (err instanceof VaultError) {
    io.err(`mmry: ${err.message}`);
    return exitCodeFor(err);
  }
  const detail = err instanceof Error ? err.message : String(err);
  io.err(`mmry: unexpected error: ${detail}`);
  return 70;
}

/** Distinct exit codes let scripts tell a wrong password from a damaged vault. */
export function exitCodeFor(err: VaultError): number {
  switch (err.kind) {
    case 'invalid-argument':
      return 1;
    case 'wrong-password':
      return 3;
    case 'damaged-header':
    case 'damaged-data':
      return 4;
    case 'vault-in-use':
      return 5;
    case 'cancelled':
      return 130;
    default:
      return 2;
  }
}

/** parseArgs with our error style: unknown options become a UsageError. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/, ''));
  }
}
