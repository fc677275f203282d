/**
 * The UI under measurement: `mmry serve` as a real child process, and
 * Debian's Chromium (headless, through playwright-core) opening the page it
 * serves, the same way the end-to-end suite drives the app.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env['MMRY_CHROMIUM'] ?? '/usr/bin/chromium';

export interface ServedUi {
  /** The address to open, with its token. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `mmry serve` from `root` (a source tree with bin/mmry.js) and waits for its address; `nodeArgs` go to Node (e.g. --cpu-prof). */
export async function serveUi(root: string, vault: string, rendererDir: string, nodeArgs: string[] = []): Promise<ServedUi> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'mmry.js'), 'serve', '--vault', vault, '--renderer', rendererDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`mmry serve printed no address within 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mmry serve exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM} (set MMRY_CHROMIUM, or apt-get install -y chromium).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}
