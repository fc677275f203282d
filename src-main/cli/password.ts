/**
 * The password a command was given without asking: from --password-file
 * (one trailing newline dropped) or MMRY_PASSWORD. Light on imports: the
 * launcher uses it through `ahead.ts` before the rest of the CLI loads.
 */
import { readFile } from 'node:fs/promises';
import { VaultError, fromSystemError } from '../engine/errors.ts';

/** The file's password, else MMRY_PASSWORD's, else undefined (the caller may prompt). */
export async function givenPassword(file: string | undefined): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw fromSystemError(err, `the password file ${file}`);
    }
    const pw = text.replace(/\r?\n$/, '');
    if (!pw) throw new VaultError('invalid-argument', `The password file ${file} is empty.`);
    return pw;
  }
  return process.env['MMRY_PASSWORD'] || undefined;
}
