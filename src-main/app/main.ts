/**
 * Electron entry point: glue only. Creates the single secure window, wires the
 * contract over IPC and applies the security policy from `security.ts`.
 * Everything with logic lives in the engine or in small tested modules.
 */
import { app, BrowserWindow, dialog, Menu, powerMonitor, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDispatcher } from '../ipc/dispatch.ts';
import { registerElectronTransport } from '../ipc/electron.ts';
import type { ElectronTransport } from '../ipc/electron.ts';
import { createHandlers } from '../ipc/handlers.ts';
import { Operations } from '../ipc/operations.ts';
import type { EmitEvent } from '../ipc/operations.ts';
import { VaultSession } from '../ipc/session.ts';
import { folderPicker } from './dialogs.ts';
import { menuTemplate } from './menu.ts';
import { allowNavigation, contentSecurityPolicy, isTrustedSender, secureWebPreferences } from './security.ts';

const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererEntry = pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;
const preloadPath = join(import.meta.dirname, '../preload/index.cjs');

let mainWindow: BrowserWindow | null = null;
let transport: ElectronTransport | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!allowNavigation(url, rendererEntry, devServerUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  void app.whenReady().then(start);
}

function start(): void {
  const csp = contentSecurityPolicy(devServerUrl);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const emit: EmitEvent = (event, payload) => transport?.send(event, payload);
  const operations = new Operations({ emit });
  // The bundle carries the engine's worker entry beside main (see electron.vite.config.ts).
  const vaultSession = new VaultSession(join(app.getPath('userData'), 'vault'), emit, { workerFile: join(import.meta.dirname, 'worker.js') });
  powerMonitor.on('suspend', () => void vaultSession.lock('suspend'));
  powerMonitor.on('lock-screen', () => void vaultSession.lock('screen-lock'));
  app.on('before-quit', () => void vaultSession.lock('user', false));
  const pickFolder = folderPicker((options) => (mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options)));
  const dispatch = createDispatcher(createHandlers({ transport: 'electron', appVersion: app.getVersion(), operations, session: vaultSession, pickFolder }));
  // The menu's template is plain data (menu.ts); Electron's MenuItem options accept it as is.
  const template = menuTemplate(process.platform, app.getName(), (command) => emit('app.command', { command }));
  Menu.setApplicationMenu(Menu.buildFromTemplate(template as Parameters<typeof Menu.buildFromTemplate>[0]));
  transport = registerElectronTransport(dispatch, (frame) => isTrustedSender(frame, rendererEntry, devServerUrl), () => mainWindow?.webContents ?? null);
  createWindow();
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'MMRY Vault',
    webPreferences: secureWebPreferences(preloadPath),
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  if (devServerUrl) void mainWindow.loadURL(devServerUrl);
  else void mainWindow.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  // Links with target=_blank are denied above; offer http(s) ones to the OS browser instead.
  mainWindow.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
