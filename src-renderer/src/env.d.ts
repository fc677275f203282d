/// <reference types="vite/client" />
import type { MmryBridge } from '../../src-shared/contract.ts';

declare global {
  interface Window {
    /** Present only inside the Electron app (the preload's bridge). */
    mmry?: MmryBridge;
  }
}
