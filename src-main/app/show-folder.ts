/**
 * Opening a folder in the OS file manager, over an injected `openPath`
 * (Electron's `shell.openPath`, which answers an error message, or '' when
 * it worked), so what counts as a failure and what the user is told is
 * unit-tested without launching Electron. Which folders may be opened at all
 * is decided before this, by the `app.show-folder` handler
 * (src-main/ipc/shown-folders.ts).
 */
import { VaultError } from '../engine/errors.ts';

export type OpenPath = (path: string) => Promise<string>;

export function folderOpener(openPath: OpenPath): (folder: string) => Promise<void> {
  return async (folder) => {
    let problem: string;
    try {
      problem = await openPath(folder);
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    if (problem) throw new VaultError('io', `The file manager could not open ${folder} (${problem.replace(/\.$/, '')}). Open it yourself from its path.`);
  };
}
