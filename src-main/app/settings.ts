/**
 * The settings file: what this computer remembers between runs, as JSON in
 * the app's data folder (`settings.json` beside the default vault). It holds
 * the user's preferences (the contract's `Preferences`), the last vault
 * location and the window's size and position. It never holds a password or
 * anything from inside a vault.
 *
 * Invariants:
 * - reading never fails: a missing file means defaults, and a damaged or
 *   hand-edited file keeps every field that is still valid and falls back to
 *   the default for the others (`problem` then says what was reset);
 * - writing is atomic (a temporary file renamed over the old one), so a crash
 *   mid-write leaves the previous settings;
 * - every change is checked against the same schema the contract uses.
 *
 * Plain Node, no Electron: `mmry serve` uses it too. A store made with no file
 * keeps its settings in memory only (tests, and handlers built without one).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { DEFAULT_PREFERENCES, Preferences } from '../../src-shared/contract.ts';
import { VaultError } from '../engine/errors.ts';

export type PreferenceValues = z.output<typeof Preferences>;

export const SETTINGS_FILE_NAME = 'settings.json';

const Rect = z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().positive(), height: z.number().int().positive() });

/** The window as it was last seen: its normal (not maximized) bounds, and whether it was maximized. */
export const WindowPlacement = z.object({ bounds: Rect, maximized: z.boolean() });
export type WindowPlacement = z.output<typeof WindowPlacement>;

export interface StoredSettings {
  preferences: PreferenceValues;
  /** The last vault chosen; null means the default vault in the app's data folder. */
  vaultPath: string | null;
  window: WindowPlacement | null;
}

/** Each field falls back on its own, so one bad value does not reset the rest. */
const preferencesOnDisk = z.object({
  autoLockMinutes: Preferences.shape.autoLockMinutes.catch(DEFAULT_PREFERENCES.autoLockMinutes),
  lockOnSuspend: Preferences.shape.lockOnSuspend.catch(DEFAULT_PREFERENCES.lockOnSuspend),
  lockOnScreenLock: Preferences.shape.lockOnScreenLock.catch(DEFAULT_PREFERENCES.lockOnScreenLock),
  notifications: Preferences.shape.notifications.catch(DEFAULT_PREFERENCES.notifications),
  verifyEveryDays: Preferences.shape.verifyEveryDays.catch(DEFAULT_PREFERENCES.verifyEveryDays),
}) satisfies z.ZodType<PreferenceValues>;

const fileSchema = z.object({
  preferences: preferencesOnDisk.catch(DEFAULT_PREFERENCES),
  vaultPath: z.string().min(1).nullable().catch(null),
  window: WindowPlacement.nullable().catch(null),
});

export function defaultSettings(): StoredSettings {
  return { preferences: { ...DEFAULT_PREFERENCES }, vaultPath: null, window: null };
}

/** Parses the file's text; returns the settings and, when something had to be reset, why. */
export function parseSettings(text: string): { settings: StoredSettings; problem: string | null } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { settings: defaultSettings(), problem: 'The settings file was not valid JSON; the defaults are used instead.' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { settings: defaultSettings(), problem: 'The settings file did not hold settings; the defaults are used instead.' };
  }
  const raw = json as Record<string, unknown>;
  const settings = fileSchema.parse({ preferences: {}, vaultPath: null, window: null, ...raw });
  const reset = changedKeys(raw, settings);
  return { settings, problem: reset.length > 0 ? `Some settings were not valid and went back to their defaults: ${reset.join(', ')}.` : null };
}

/** The names of stored values that parsing replaced by a default. */
function changedKeys(raw: Record<string, unknown>, parsed: StoredSettings): string[] {
  const out: string[] = [];
  const prefs = raw['preferences'];
  if (prefs !== undefined) {
    if (typeof prefs !== 'object' || prefs === null) out.push('preferences');
    else for (const [k, v] of Object.entries(prefs)) if (k in parsed.preferences && parsed.preferences[k as keyof PreferenceValues] !== v) out.push(k);
  }
  if (raw['vaultPath'] !== undefined && raw['vaultPath'] !== parsed.vaultPath) out.push('vaultPath');
  if (raw['window'] !== undefined && raw['window'] !== null && parsed.window === null) out.push('window');
  return out;
}

export class SettingsStore {
  /** Where the settings live; null keeps them in memory only. */
  readonly file: string | null;
  /** Set when the file on disk could not be used as it was. */
  readonly problem: string | null;
  #settings: StoredSettings;
  readonly #listeners = new Set<(settings: StoredSettings) => void>();

  private constructor(file: string | null, settings: StoredSettings, problem: string | null) {
    this.file = file;
    this.#settings = settings;
    this.problem = problem;
  }

  /** Reads `file`, or starts from defaults when it does not exist yet. */
  static open(file: string): SettingsStore {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SettingsStore(file, defaultSettings(), null);
      return new SettingsStore(file, defaultSettings(), `The settings file ${file} could not be read; the defaults are used instead.`);
    }
    const { settings, problem } = parseSettings(text);
    return new SettingsStore(file, settings, problem);
  }

  static inMemory(initial: Partial<StoredSettings> = {}): SettingsStore {
    return new SettingsStore(null, { ...defaultSettings(), ...initial }, null);
  }

  get preferences(): PreferenceValues {
    return { ...this.#settings.preferences };
  }

  get vaultPath(): string | null {
    return this.#settings.vaultPath;
  }

  get window(): WindowPlacement | null {
    return this.#settings.window;
  }

  /** Applies a partial change of preferences after checking it; throws 'invalid-argument' with the reason. */
  setPreferences(patch: Partial<PreferenceValues>): PreferenceValues {
    const merged = Preferences.safeParse({ ...this.#settings.preferences, ...patch });
    if (!merged.success) {
      const issue = merged.error.issues[0];
      throw new VaultError('invalid-argument', `The setting ${issue?.path.join('.') || 'value'} is not valid: ${issue?.message ?? 'malformed'}`);
    }
    this.#replace({ ...this.#settings, preferences: merged.data });
    return this.preferences;
  }

  setVaultPath(path: string | null): void {
    this.#replace({ ...this.#settings, vaultPath: path });
  }

  setWindow(placement: WindowPlacement): void {
    this.#replace({ ...this.#settings, window: WindowPlacement.parse(placement) });
  }

  /** Called after every change, with the new settings. */
  subscribe(listener: (settings: StoredSettings) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #replace(next: StoredSettings): void {
    if (this.file) writeAtomically(this.file, `${JSON.stringify(next, null, 2)}\n`);
    this.#settings = next;
    for (const l of this.#listeners) l(next);
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    throw new VaultError('io', `The settings could not be saved to ${file}: ${(err as Error).message}`, { cause: err });
  }
}
