/**
 * The Electron shell: asks for a research program folder, starts the owner host in this process
 * (`startHost`), and shows the owner UI that the host's loopback owner listener serves. The window is
 * sandboxed and isolated; it gets the owner token through the preload bridge, never in a URL.
 * See docs/desktop.md for the security checklist.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startHost, type RunningHost } from '../main/host.ts';
import { formatIssue } from '../main/program/errors.ts';
import { validateProgramDir, type Program } from '../main/program/load-program.ts';
import { cohortPaths } from '../protocol/paths.ts';
import { CHANNELS, CSP, isExternalWebUrl, isSameOrigin, NoArgs, OwnerTokenReply, PickFolderReply, programFromArgs } from './ipc.ts';

let host: RunningHost | null = null;
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

/** The program to publish: `--program DIR` / COHORT_PROGRAM, else a folder dialog until it validates. */
async function chooseProgram(): Promise<Program | null> {
  const given = programFromArgs(process.argv, process.env);
  for (;;) {
    const dir = given !== null ? resolve(given) : await pickFolder();
    if (dir === null) return null;
    const result = await validateProgramDir(dir);
    if (result.ok) return result.program;
    dialog.showErrorBox(`Not a valid research program: ${dir}`, result.errors.map(formatIssue).join('\n'));
    if (given !== null) return null; // a folder from the command line is not asked again
  }
}

/** IPC is answered only for the owner UI's own top frame. */
function fromOwnerUi(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return host !== null && frame !== null && frame.parent === null && isSameOrigin(frame.url, host.ownerUrl);
}

function registerIpc(): void {
  ipcMain.handle(CHANNELS.ownerToken, (event, ...args: unknown[]) => {
    if (!fromOwnerUi(event)) throw new Error('refused: not the owner UI');
    NoArgs.parse(args);
    return OwnerTokenReply.parse(host!.ownerToken);
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
  const program = await chooseProgram();
  if (program === null) {
    app.exit(1);
    return;
  }
  try {
    host = await startHost({ program, paths: cohortPaths(), rendererDir: rendererDir() });
  } catch (err) {
    dialog.showErrorBox('Could not start the host', err instanceof Error ? err.message : String(err));
    app.exit(1);
    return;
  }
  console.log(`Cohort: publishing ${program.spec.name}; workers join with: ${host.joinCommand}`);
  win = createWindow(host.ownerUrl);
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
    if (host === null || quitting) return;
    // Stop taking requests, let accepted submissions reach the disk, then quit for real.
    event.preventDefault();
    quitting = true;
    const running = host;
    void running
      .close()
      .catch((err: unknown) => console.error('Cohort: closing the host failed:', err))
      .finally(() => {
        host = null;
        app.quit();
      });
  });
  void app.whenReady().then(start);
}
