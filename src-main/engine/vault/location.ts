/**
 * Where the app keeps its default vault: a `vault` folder inside the
 * per-user application-data folder Electron also uses (`app.getPath('userData')`),
 * so the desktop app and `mmry serve` find the same vault.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_FOLDER_NAME = 'MMRY Vault';

export function userDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), APP_FOLDER_NAME);
}

export function defaultVaultDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return join(userDataDir(platform, env, home), 'vault');
}
