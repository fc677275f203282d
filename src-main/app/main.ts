/**
 * Electron entry point: glue only. Creates the single secure window, wires the
 * contract over IPC and applies the security policy from `security.ts`.
 * Everything with logic lives in the engine or in small tested modules:
 * core.ts (settings, session, auto-lock, dispatcher), keychain.ts, power.ts,
 * window-state.ts, notify.ts, context-menu.ts, menu.ts, dialogs.ts, show-folder.ts.
 */
import { app, BrowserWindow, dialog, Menu, Notification, powerMonitor, safeStorage, screen, session, shell } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { userDataDir } from '../engine/vault/index.ts';
import { registerElectronTransport } from '../ipc/electron.ts';
import type { ElectronTransport } from '../ipc/electron.ts';
import type { EmitEvent } from '../ipc/operations.ts';
import { askContextMenu } from './context-menu.ts';
import { createAppCore } from './core.ts';
import type { AppCore } from './core.ts';
import { folderPicker } from './dialogs.ts';
import { PasswordMemory } from './keychain.ts';
import { menuTemplate } from './menu.ts';
import type { MenuItem } from './menu.ts';
import { jobNotifier } from './notify.ts';
import { lockOnPowerEvents } from './power.ts';
import { allowNavigation, contentSecurityPolicy, isTrustedSender, secureWebPreferences } from './security.ts';
import { folderOpener } from './show-folder.ts';
import { PlacementSaver, restorePlacement } from './window-state.ts';

const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
const rendererEntry = pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;
const preloadPath = join(import.meta.dirname, '../preload/index.cjs');
const WINDOW_DEFAULTS = { width: 1200, height: 800, minWidth: 720, minHeight: 480 };

let mainWindow: BrowserWindow | null = null;
let transport: ElectronTransport | null = null;
let core: AppCore | null = null;

// The desktop app and `mmry serve` share one data folder (settings, saved passwords, the default vault).
app.setPath('userData', userDataDir());

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
    if (BrowserWindow.getAllWindows().length === 0 && core) createWindow(core);
  });
  void app.whenReady().then(start);
}

/** The app icon, from the top-level resources/ folder (packaged beside the app's code). */
function iconPath(): string {
  return join(app.getAppPath(), 'resources', 'icon.png');
}

function start(): void {
  const csp = contentSecurityPolicy(devServerUrl);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const emit: EmitEvent = (event, payload) => transport?.send(event, payload);
  const pickFolder = folderPicker((options) => (mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options)));
  const popup = (template: MenuItem[], closed: () => void) => {
    const menu = Menu.buildFromTemplate(template as Parameters<typeof Menu.buildFromTemplate>[0]);
    menu.popup({ ...(mainWindow ? { window: mainWindow } : {}), callback: closed });
  };
  let notifyJob: (f: Parameters<ReturnType<typeof jobNotifier>>[0]) => void = () => undefined;
  const appCore = createAppCore({
    transport: 'electron',
    appVersion: app.getVersion(),
    dataDir: app.getPath('userData'),
    // The bundle carries the engine's worker entry beside main (see electron.vite.config.ts).
    vaultOptions: { workerFile: join(import.meta.dirname, 'worker.js') },
    emit,
    extra: { keychain: new PasswordMemory(safeStorage, app.getPath('userData')), pickFolder, showFolder: folderOpener((p) => shell.openPath(p)), showContextMenu: (items) => askContextMenu(items, popup) },
    onJobFinished: (f) => notifyJob(f),
  });
  core = appCore;
  notifyJob = jobNotifier({
    enabled: () => appCore.settings.preferences.notifications && Notification.isSupported(),
    windowFocused: () => mainWindow?.isFocused() ?? false,
    show: ({ title, body }) => {
      const n = new Notification({ title, body, icon: iconPath() });
      n.on('click', () => mainWindow?.show());
      n.show();
    },
  });

  lockOnPowerEvents(powerMonitor, () => appCore.settings.preferences, (reason) => void appCore.session.lock(reason));
  app.on('before-quit', () => void appCore.dispose());
  // The menu's template is plain data (menu.ts); Electron's MenuItem options accept it as is.
  const template = menuTemplate(process.platform, app.getName(), (command) => emit('app.command', { command }));
  Menu.setApplicationMenu(Menu.buildFromTemplate(template as Parameters<typeof Menu.buildFromTemplate>[0]));
  transport = registerElectronTransport(appCore.dispatch, (frame) => isTrustedSender(frame, rendererEntry, devServerUrl), () => mainWindow?.webContents ?? null);
  createWindow(appCore);
}

function createWindow(appCore: AppCore): void {
  const displays = [screen.getPrimaryDisplay(), ...screen.getAllDisplays().filter((d) => d.id !== screen.getPrimaryDisplay().id)];
  const placement = restorePlacement(appCore.settings.window, displays.map((d) => d.workArea), WINDOW_DEFAULTS);
  const win = new BrowserWindow({
    ...placement.bounds,
    minWidth: WINDOW_DEFAULTS.minWidth,
    minHeight: WINDOW_DEFAULTS.minHeight,
    show: false,
    title: 'MMRY Vault',
    icon: iconPath(),
    webPreferences: secureWebPreferences(preloadPath),
  });
  mainWindow = win;
  if (placement.maximized) win.maximize();

  const save = (p: Parameters<AppCore['settings']['setWindow']>[0]) => {
    try {
      appCore.settings.setWindow(p);
    } catch (err) {
      // Forgetting the window's place is not worth an error dialog.
      console.warn((err as Error).message);
    }
  };
  const saver = new PlacementSaver(save, 500, { setTimeout, clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) });
  const changed = () => {
    if (!win.isMinimized() && !win.isFullScreen()) saver.changed({ bounds: win.getNormalBounds(), maximized: win.isMaximized() });
  };
  win.on('move', changed);
  win.on('resize', changed);
  win.on('maximize', changed);
  win.on('unmaximize', changed);
  win.on('close', () => saver.flush());

  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  // Links with target=_blank are denied above; offer http(s) ones to the OS browser instead.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
