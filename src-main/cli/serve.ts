/**
 * `mmry serve`: starts the loopback bridge and prints the URL to open. Runs
 * until interrupted.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userDataDir } from '../engine/vault/index.ts';
import { VaultError } from '../engine/errors.ts';
import type { EmitEvent } from '../ipc/operations.ts';
import { createAppCore, minuteFromEnv } from '../app/core.ts';
import { startBridge } from '../ipc/ws-bridge.ts';
import type { Bridge } from '../ipc/ws-bridge.ts';
import { packageVersion, parseCommandArgs, UsageError } from './main.ts';
import type { CliIO } from './main.ts';

export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../out/renderer', import.meta.url));

export async function serveCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    port: { type: 'string' },
    renderer: { type: 'string' },
    token: { type: 'string' },
    vault: { type: 'string' },
    'data-dir': { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535`);
  const rendererDir = values.renderer ?? DEFAULT_RENDERER_DIR;
  if (!existsSync(`${rendererDir}/index.html`)) {
    throw new VaultError('not-found', `The app UI is not built yet (no ${rendererDir}/index.html); run 'npm run build' first.`);
  }

  // Events may fire only after the bridge exists; until then there is no page to tell.
  const live: { bridge?: Bridge } = {};
  const emit: EmitEvent = (event, payload) => live.bridge?.broadcast(event, payload);
  // Settings, keychain and locking: the same settings file and auto-lock as the desktop app (no keychain here).
  const minuteMs = minuteFromEnv(process.env);
  const core = createAppCore({
    transport: 'serve',
    appVersion: packageVersion(),
    dataDir: resolve(values['data-dir'] ?? userDataDir()),
    ...(values.vault ? { vaultPath: resolve(values.vault) } : {}),
    emit,
    ...(minuteMs ? { minuteMs } : {}),
  });
  const { session, dispatch } = core;
  if (core.settings.problem) io.err(core.settings.problem);
  const bridge = await startBridge({ rendererDir, dispatch, port, ...(values.token ? { token: values.token } : {}) });
  live.bridge = bridge;
  io.out(`MMRY Vault is serving on ${bridge.url}`);
  io.out(`Vault: ${session.path}${session.exists ? '' : ' (not created yet)'}`);
  io.out('Open that address in a browser on this computer. Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await bridge.close();
  await core.dispose();
  return 0;
}
