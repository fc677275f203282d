import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../engine/errors.ts';
import { createHeader, unlockHeader } from '../engine/keys/index.ts';
import { unlockAheadFor } from './ahead.ts';

const CHEAP = { memoryKiB: 8, passes: 1, parallelism: 1 };
let dir: string;
let vault: string;
const saved = process.env['MMRY_PASSWORD'];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mmry-ahead-'));
  vault = join(dir, 'vault');
  await createHeader(vault, 'pw ahead', CHEAP);
  delete process.env['MMRY_PASSWORD'];
});
afterEach(() => {
  if (saved === undefined) delete process.env['MMRY_PASSWORD'];
  else process.env['MMRY_PASSWORD'] = saved;
  rmSync(dir, { recursive: true, force: true });
});

/** Whether an unlock was started ahead: with the header gone, only that one can still succeed. */
async function startedAhead(): Promise<boolean> {
  for (const name of ['header', 'header.bak']) unlinkSync(join(vault, name));
  const outcome = await unlockHeader(vault, 'pw ahead').then(
    () => true,
    (err: unknown) => (isVaultError(err) && err.kind === 'not-a-vault' ? false : Promise.reject(err)),
  );
  return outcome;
}

describe('unlockAheadFor', () => {
  it('starts the unlock for a command that opens the vault named first, past options that take values', async () => {
    process.env['MMRY_PASSWORD'] = 'pw ahead';
    await unlockAheadFor(['backup', '--project', 'p', '--exclude', '*.log', vault, join(dir, 'src')]);
    expect(await startedAhead()).toBe(true);
  });

  it('reads the password file as the command would', async () => {
    writeFileSync(join(dir, 'pw'), 'pw ahead\n');
    await unlockAheadFor(['restore', vault, 'latest', join(dir, 'out'), '--password-file', join(dir, 'pw')]);
    expect(await startedAhead()).toBe(true);
  });

  it('starts nothing for other commands, without a password given up front, or on a bad password file', async () => {
    process.env['MMRY_PASSWORD'] = 'pw ahead';
    await unlockAheadFor(['init', vault]);
    await unlockAheadFor(['passwd', vault]);
    await unlockAheadFor(['stats', vault, '--password-file', join(dir, 'missing')]);
    delete process.env['MMRY_PASSWORD'];
    await unlockAheadFor(['stats', vault]); // would prompt: nothing to start with
    expect(await startedAhead()).toBe(false);
  });
});
