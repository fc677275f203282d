/**
 * Channel names of the Electron transport, prefixed so nothing else can
 * collide. Kept apart from the contract's schemas so the sandboxed preload
 * bundles no schema library.
 */
export const IPC_CALL_CHANNEL = 'mmry:call';
export const IPC_EVENT_CHANNEL = 'mmry:event';
