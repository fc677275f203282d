/**
 * The contract's implementation: one handler per call in
 * `src-shared/contract.ts`. Handlers receive arguments already validated by
 * the dispatcher and may throw VaultError for a typed failure.
 *
 * The same handlers serve both transports; what differs between them
 * (Electron or `mmry serve`) arrives in `AppContext`.
 */
import type { Handlers } from './dispatch.ts';
import type { Operations } from './operations.ts';

export interface AppContext {
  transport: 'electron' | 'serve';
  appVersion: string;
  operations: Operations;
}

export function createHandlers(ctx: AppContext): Handlers {
  return {
    'app.info': () => ({
      name: 'MMRY Vault',
      version: ctx.appVersion,
      platform: process.platform,
      nodeVersion: process.versions.node,
      transport: ctx.transport,
    }),
    'op.cancel': ({ opId }) => ({ cancelled: ctx.operations.cancel(opId) }),
  };
}
