/**
 * Transport 1: the contract over Electron IPC. The only module in main that
 * touches ipcMain (lint forbids it elsewhere). Every message's sender frame is
 * checked before the dispatcher sees it.
 */
import { ipcMain } from 'electron';
import type { WebContents } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../src-shared/ipc-channels.ts';
import type { CallOutcome, EventName, EventPayload } from '../../src-shared/contract.ts';
import type { SenderFrame } from '../app/security.ts';
import type { Dispatch } from './dispatch.ts';

export interface ElectronTransport {
  send<E extends EventName>(event: E, payload: EventPayload<E>): void;
  dispose(): void;
}

export function registerElectronTransport(dispatch: Dispatch, trusted: (frame: SenderFrame | null) => boolean, target: () => WebContents | null): ElectronTransport {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, name: unknown, args: unknown): Promise<CallOutcome> => {
    const frame = event.senderFrame;
    const isMainFrame = frame !== null && frame === event.sender.mainFrame;
    if (!trusted(frame ? { url: frame.url, isMainFrame } : null)) {
      return { ok: false, error: { kind: 'forbidden', message: 'This page may not talk to the vault.' } };
    }
    return dispatch(name, args);
  });
  return {
    send(event, payload) {
      const wc = target();
      if (wc && !wc.isDestroyed()) wc.send(IPC_EVENT_CHANNEL, event, payload);
    },
    dispose() {
      ipcMain.removeHandler(IPC_CALL_CHANNEL);
    },
  };
}
