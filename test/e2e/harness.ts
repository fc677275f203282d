/**
 * Shared pieces of the end-to-end suite: start `mmry serve` as a real child
 * process, launch Debian's Chromium with the flags this closed machine needs,
 * and save screenshots under test-results/.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const resultsDir = join(repoRoot, 'test-results');
const CHROMIUM = process.env['MMRY_CHROMIUM'] ?? '/usr/bin/chromium';

export interface Served {
  url: string;
  origin: string;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startServe(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/mmry.js'), 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`mmry serve exited with ${code}: ${stderr}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token')!,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  // playwright-core gives every launch a fresh, empty --user-data-dir of its own.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core's browser build, for `page.addScriptTag({ content: AXE_SOURCE })`. */
export const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  screen: string;
  id: string;
  impact: string;
  nodes: string[];
}

/**
 * Screenshots the page as `ui-<name>-light` and `-dark`, and scans each with
 * axe-core (contrast differs between them), adding what it finds to
 * `findings`. The page must have AXE_SOURCE loaded; it is left in light.
 */
export async function captureScreen(page: Page, name: string, findings: AxeFinding[]): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `ui-${name}-${scheme}`);
    const result = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const r = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    });
    for (const v of result) findings.push({ screen: `${name}-${scheme}`, ...v });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

export interface OpenApp {
  served: Served;
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/**
 * Starts `mmry serve` with `serveArgs` (and `env`), and opens its page in a
 * fresh Chromium context (light scheme, axe-core loaded; bypassCSP only lets
 * the test inject axe, the app's own CSP stays as shipped).
 */
export async function openApp(serveArgs: string[], env: NodeJS.ProcessEnv, context: { viewport: { width: number; height: number }; permissions?: string[] }): Promise<OpenApp> {
  const served = await startServe(serveArgs, env);
  const browser = await launchChromium();
  const ctx = await browser.newContext({ ...context, colorScheme: 'light', bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(served.url);
  await page.addScriptTag({ content: AXE_SOURCE });
  return { served, browser, context: ctx, page };
}

/** Closes what `openApp` opened, whatever part of it was opened. */
export async function closeApp(app: Partial<OpenApp> | undefined): Promise<void> {
  await app?.context?.close();
  await app?.browser?.close();
  await app?.served?.stop();
}

/**
 * Serves an existing vault (its settings in `configDir`, scheduled verify
 * off so no job starts by itself), opens it in a fresh Chromium page with
 * axe-core loaded, and unlocks it with `password`.
 */
export async function openUnlocked(vault: string, password: string, configDir: string, viewport: { width: number; height: number }): Promise<OpenApp> {
  mkdirSync(join(configDir, 'MMRY Vault'), { recursive: true });
  writeFileSync(join(configDir, 'MMRY Vault', 'settings.json'), JSON.stringify({ preferences: { verifyEveryDays: 0 } }));
  const app = await openApp(['--vault', vault], { XDG_CONFIG_HOME: configDir }, { viewport });
  const { page } = app;
  await page.getByRole('heading', { name: 'Unlock your vault', exact: true }).waitFor();
  await page.getByLabel('Vault password').fill(password);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor();
  return app;
}
