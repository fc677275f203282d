/**
 * Makes a real folder that the running user may not write in, for tests of
 * what the user is told. Permission bits do not stop root, so as root the
 * folder is made immutable instead (chattr +i: even root gets EPERM). Answers
 * the function that makes it writable again.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

export function makeUnwritable(folder: string): () => void {
  if (process.getuid?.() !== 0) {
    chmodSync(folder, 0o555);
    return () => chmodSync(folder, 0o755);
  }
  try {
    execFileSync('chattr', ['+i', folder], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`This test needs a folder root cannot write in, and 'chattr +i ${folder}' failed (run the tests as a normal user, or where chattr works): ${(err as Error).message}`);
  }
  return () => execFileSync('chattr', ['-i', folder], { stdio: 'pipe' });
}
