/**
 * Which folders the page may open in the OS file manager (`app.show-folder`).
 *
 * The page names a path, so this is the gate: only a project's source folder
 * or a folder this run of the app restored into, and only while it is an
 * existing folder. A file, a URL, a relative path, or any other folder is
 * refused, so the call cannot be used to open arbitrary things on the
 * computer. Folders are compared after `resolve` (no trailing separators, no
 * `..`), exactly as given otherwise.
 */
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { VaultError } from '../engine/errors.ts';

export class ShowableFolders {
  readonly #restored = new Set<string>();

  /** A restore into `folder` ended; the user may now ask to see it. */
  restoredInto(folder: string): void {
    this.#restored.add(resolve(folder));
  }

  /**
   * The folder to open for `path`, or a VaultError that says in plain words
   * why not. `projectSources` are the source folders of the vault's projects
   * (empty while it is locked).
   */
  check(path: string, projectSources: Iterable<string>): string {
    if (!isAbsolute(path)) throw new VaultError('invalid-argument', 'Give the full path of the folder to show.');
    const folder = resolve(path);
    const known = this.#restored.has(folder) || [...projectSources].some((s) => resolve(s) === folder);
    if (!known) throw new VaultError('invalid-argument', `${folder} is neither a project's folder nor one MMRY Vault restored into, so it is not opened from here.`);
    let isFolder: boolean;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      throw new VaultError('not-found', `The folder ${folder} is not there any more; it may have been moved, deleted, or be on a disk that is not connected.`);
    }
    if (!isFolder) throw new VaultError('invalid-argument', `${folder} is not a folder any more, so it cannot be shown.`);
    return folder;
  }
}
