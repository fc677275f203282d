/**
 * The preload: exposes `window.mmry` (the contract's MmryBridge) and nothing
 * else. Runs sandboxed; the renderer never sees ipcRenderer itself, only a
 * call function on one prefixed channel and an event subscription filtered to
 * contract events.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../src-shared/ipc-channels.ts';
import type { MmryBridge } from '../../src-shared/contract.ts';

const bridge = {
  call: (name, args) => ipcRenderer.invoke(IPC_CALL_CHANNEL, name, args),
  on: (event, listener) => {
    const wrapped = (_e: unknown, name: unknown, payload: unknown) => {
      if (name === event) listener(payload as never);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
  pathForFile: (file) => webUtils.getPathForFile(file as File),
} satisfies MmryBridge;

contextBridge.exposeInMainWorld('mmry', bridge);
