/**
 * The main side of the app, as both transports assemble it: the settings
 * file, the vault session, the long operations, the idle auto-lock and the
 * contract's dispatcher. main.ts (Electron) and `mmry serve` differ only in
 * what they add: the keychain, native dialogs and menus, and how events
 * reach the page.
 *
 * Activity for the auto-lock: every call from a page, and the end of every
 * long job. The verify schedule looks when the vault is unlocked, when its
 * setting changes, and hourly; it starts quick verifies through the same
 * HealthService as the Health screen. Plain Node, no Electron.
 */
import { join } from 'node:path';
import type { EventName, EventPayload } from '../../src-shared/contract.ts';
import { VaultError } from '../engine/errors.ts';
import type { VaultOptions } from '../engine/vault/index.ts';
import { createDispatcher } from '../ipc/dispatch.ts';
import type { Dispatch } from '../ipc/dispatch.ts';
import { createHandlers } from '../ipc/handlers.ts';
import { HealthService } from '../ipc/health-handlers.ts';
import type { AppContext } from '../ipc/handlers.ts';
import { Operations } from '../ipc/operations.ts';
import type { EmitEvent } from '../ipc/operations.ts';
import { VaultSession } from '../ipc/session.ts';
import { countingActivity, IdleLock, systemClock } from './auto-lock.ts';
import type { IdleClock } from './auto-lock.ts';
import { SETTINGS_FILE_NAME, SettingsStore } from './settings.ts';
import { VerifySchedule } from './verify-schedule.ts';

export const MINUTE_MS = 60_000;

export interface CoreOptions {
  transport: AppContext['transport'];
  appVersion: string;
  /** The app's data folder: settings.json, saved passwords and the default vault live there. */
  dataDir: string;
  /** A vault given explicitly (`mmry serve --vault`): wins over the remembered one. */
  vaultPath?: string;
  vaultOptions?: VaultOptions;
  /** Sends an event to the page(s); may be bound after the core exists. */
  emit: EmitEvent;
  /** How long an auto-lock "minute" lasts; only the end-to-end suite shortens it. */
  minuteMs?: number;
  clock?: IdleClock;
  extra?: Pick<AppContext, 'keychain' | 'pickFolder' | 'showFolder' | 'showContextMenu'>;
  /** Told of every job that ends (notifications). */
  onJobFinished?: (finished: EventPayload<'op.finished'>) => void;
}

export interface AppCore {
  dispatch: Dispatch;
  session: VaultSession;
  settings: SettingsStore;
  operations: Operations;
  idle: IdleLock;
  verifySchedule: VerifySchedule;
  defaultVaultPath: string;
  dispose(): Promise<void>;
}

export function createAppCore(o: CoreOptions): AppCore {
  const settings = SettingsStore.open(join(o.dataDir, SETTINGS_FILE_NAME));
  const defaultVaultPath = join(o.dataDir, 'vault');
  const minuteMs = o.minuteMs ?? MINUTE_MS;
  const clock = o.clock ?? systemClock;

  const live: { idle?: IdleLock } = {};
  const emit: EmitEvent = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    if (event === 'op.finished') {
      live.idle?.touch();
      o.onJobFinished?.(payload as EventPayload<'op.finished'>);
    }
    o.emit(event, payload);
  };
  const operations = new Operations({ emit });
  const session = new VaultSession(o.vaultPath ?? settings.vaultPath ?? defaultVaultPath, emit, o.vaultOptions ?? {});
  const idle = new IdleLock({
    idleMs: () => settings.preferences.autoLockMinutes * minuteMs,
    isUnlocked: () => session.unlocked,
    isBusy: () => operations.runningCount > 0,
    lock: () => session.lock('idle'),
    clock,
  });
  live.idle = idle;

  const health = new HealthService({ operations, session });
  const oldestSnapshotAt = () => (session.unlocked ? session.vault.catalog.listSnapshots().reduce<number | null>((min, s) => (min === null || s.createdAt < min ? s.createdAt : min), null) : null);
  const verifySchedule = new VerifySchedule({
    everyDays: () => settings.preferences.verifyEveryDays,
    isUnlocked: () => session.unlocked,
    isBusy: () => operations.runningCount > 0,
    unverifiedSince: () => health.lastVerifiedAt() ?? oldestSnapshotAt(),
    startVerify: () => void health.startVerify(false, 'Scheduled verify of the vault'),
    clock,
  });
  // After the unlock call has answered, so the page sees the vault open before the verify starts.
  const offUnlock = session.onUnlock(() => void setImmediate(() => verifySchedule.check()));
  const offLock = session.onLock(() => verifySchedule.dispose());
  let seen = settings.preferences;
  const unsubscribe = settings.subscribe(({ preferences }) => {
    if (preferences.autoLockMinutes !== seen.autoLockMinutes) idle.reconfigure();
    if (preferences.verifyEveryDays !== seen.verifyEveryDays) verifySchedule.check();
    seen = preferences;
  });

  const handlers = createHandlers({ transport: o.transport, appVersion: o.appVersion, operations, session, settings, defaultVaultPath, health, ...o.extra });
  const dispatch = countingActivity(createDispatcher(handlers), idle);
  return {
    dispatch,
    session,
    settings,
    operations,
    idle,
    verifySchedule,
    defaultVaultPath,
    async dispose() {
      unsubscribe();
      offUnlock();
      offLock();
      idle.dispose();
      verifySchedule.dispose();
      await session.lock('user', false);
    },
  };
}

/** Reads the test-only length of an auto-lock minute from MMRY_TEST_MINUTE_MS; throws a clear error when it is not a whole number of milliseconds. */
export function minuteFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['MMRY_TEST_MINUTE_MS'];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1 || ms > MINUTE_MS) throw new VaultError('invalid-argument', `MMRY_TEST_MINUTE_MS must be a whole number of milliseconds from 1 to ${MINUTE_MS}, not '${raw}'.`);
  return ms;
}
