/**
 * Native dialogs as small functions over an injected `showOpenDialog`, so the
 * logic (what is asked, what counts as an answer) is unit-tested without
 * launching Electron. main.ts passes Electron's `dialog.showOpenDialog`.
 */
export interface OpenDialogOptions {
  title: string;
  properties: ('openDirectory' | 'createDirectory' | 'dontAddToRecent')[];
  buttonLabel?: string;
}

export interface OpenDialogResult {
  canceled: boolean;
  filePaths: string[];
}

export type ShowOpenDialog = (options: OpenDialogOptions) => Promise<OpenDialogResult>;

/** Asks for one folder; null when the user cancels or picks nothing. */
export function folderPicker(showOpenDialog: ShowOpenDialog): (title: string) => Promise<string | null> {
  return async (title) => {
    const result = await showOpenDialog({ title, buttonLabel: 'Choose', properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'] });
    if (result.canceled) return null;
    return result.filePaths[0] ?? null;
  };
}
