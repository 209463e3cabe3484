/**
 * The Electron shell: starts the app's loopback listener in this process (`startAppService`: the UI,
 * publishing a program from it, the owner routes) with the worker's routes mounted (`WorkerService`),
 * and shows the UI that listener serves. The window is sandboxed and isolated; it gets the listener's
 * token through the preload bridge, never in a URL. See docs/desktop.md for the security checklist.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidProgramError, startAppService, type RunningAppService } from '../main/app-service.ts';
import { formatIssue } from '../main/program/errors.ts';
import { findCloudflared } from '../main/tunnel/find-cloudflared.ts';
import { cohortPaths } from '../protocol/node/paths.ts';
import { workerRoutes } from '../worker-runtime/service/worker-routes.ts';
import { WorkerService } from '../worker-runtime/service/worker-service.ts';
import { CHANNELS, CSP, isExternalWebUrl, isSameOrigin, NoArgs, OwnerTokenReply, PickFolderReply, programFromArgs } from './ipc.ts';

let service: RunningAppService | null = null;
let worker: WorkerService | null = null;
let win: BrowserWindow | null = null;
let quitting = false;

/** Where the built UI is: Forge's renderer output in a package, else `npm run build:renderer`'s. */
function rendererDir(): string | null {
  const appPath = app.getAppPath();
  for (const dir of [join(appPath, '.vite', 'renderer', 'main_window'), join(appPath, 'renderer', 'dist')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

async function pickFolder(): Promise<string | null> {
  const options = { title: 'Choose a research program folder (with TASK.md)', properties: ['openDirectory' as const] };
  const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
  return picked.canceled || picked.filePaths.length === 0 ? null : picked.filePaths[0]!;
}

/** `--program DIR` / COHORT_PROGRAM publishes at once; a bad folder is explained, and the UI asks for another. */
async function publishFromArgs(running: RunningAppService): Promise<void> {
  const given = programFromArgs(process.argv, process.env);
  if (given === null) return;
  try {
    const host = await running.publish(resolve(given));
    console.log(`Cohort: publishing ${host.kb.spec.name}; workers join with: ${host.joinCommand}`);
  } catch (err) {
    const detail =
      err instanceof InvalidProgramError
        ? err.body.issues.map((i) => formatIssue({ ...i, field: i.field ?? undefined, line: i.line ?? undefined })).join('\n')
        : err instanceof Error
          ? err.message
          : String(err);
    dialog.showErrorBox(`Could not publish ${given}`, detail);
  }
}

/** IPC is answered only for the owner UI's own top frame. */
function fromOwnerUi(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return service !== null && frame !== null && frame.parent === null && isSameOrigin(frame.url, service.url);
}

function registerIpc(): void {
  ipcMain.handle(CHANNELS.ownerToken, (event, ...args: unknown[]) => {
    if (!fromOwnerUi(event)) throw new Error('refused: not the owner UI');
    NoArgs.parse(args);
    return OwnerTokenReply.parse(service!.token);
  });
  ipcMain.handle(CHANNELS.pickFolder, async (event, ...args: unknown[]) => {
    if (!fromOwnerUi(event)) throw new Error('refused: not the owner UI');
    NoArgs.parse(args);
    return PickFolderReply.parse(await pickFolder());
  });
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

function createWindow(ownerUrl: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 900,
    title: 'Cohort',
    show: false,
    webPreferences: {
      preload: join(app.getAppPath(), '.vite', 'build', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  });
  const contents = window.webContents;
  contents.on('will-navigate', (event, url) => {
    if (isSameOrigin(url, ownerUrl)) return;
    event.preventDefault();
    if (isExternalWebUrl(url)) void shell.openExternal(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isSameOrigin(url, ownerUrl)) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url) && !isSameOrigin(url, ownerUrl)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  void window.loadURL(ownerUrl);
  return window;
}

async function start(): Promise<void> {
  hardenSession();
  registerIpc();
  const paths = cohortPaths();
  try {
    const started = await WorkerService.create({ paths, appVersion: app.getVersion() });
    worker = started;
    // A published program gets a quick tunnel when cloudflared is installed (else the UI says how).
    const cloudflared = await findCloudflared().catch(() => null);
    service = await startAppService({
      paths,
      rendererDir: rendererDir(),
      hostOptions: { tunnel: { binary: cloudflared?.path ?? null } },
      workerRoutes: async (scope) => {
        await scope.register(workerRoutes, { service: started });
      },
    });
  } catch (err) {
    dialog.showErrorBox('Could not start Cohort', err instanceof Error ? err.message : String(err));
    app.exit(1);
    return;
  }
  await publishFromArgs(service);
  win = createWindow(service.url);
  win.on('closed', () => (win = null));
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (service === null || quitting) return;
    // Stop the run, stop taking requests, let accepted submissions reach the disk, then quit for real.
    event.preventDefault();
    quitting = true;
    const running = service;
    void (async () => {
      await worker?.close();
      await running.close();
    })()
      .catch((err: unknown) => console.error('Cohort: closing down failed:', err))
      .finally(() => {
        service = null;
        worker = null;
        app.quit();
      });
  });
  void app.whenReady().then(start);
}
