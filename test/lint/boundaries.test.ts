/**
 * Proves that lint enforces the runtime boundaries: each snippet is linted
 * with the project's real eslint.config.js as if it sat at the given path.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('lint boundaries', () => {
  it.each([
    ['src-shared/x.ts', "import { readFileSync } from 'node:fs'; export const a = readFileSync;", 'no-restricted-imports'],
    ['src-shared/x.ts', "import path from 'path'; export const a = path;", 'no-restricted-imports'],
    ['src-shared/x.ts', "import { app } from 'electron'; export const a = app;", 'no-restricted-imports'],
    ['src-shared/x.ts', 'export const a = () => document.title;', 'no-restricted-globals'],
    ['src-shared/x.ts', "import { Vault } from '../src-main/engine/vault.ts'; export const a = Vault;", 'no-restricted-imports'],
    ['src-main/engine/x.ts', "import { app } from 'electron'; export const a = app;", 'no-restricted-imports'],
    ['src-main/cli/x.ts', "import { dialog } from 'electron'; export const a = dialog;", 'no-restricted-imports'],
    ['src-renderer/src/x.ts', "import { Vault } from '../../src-main/engine/vault.ts'; export const a = Vault;", 'no-restricted-imports'],
    ['src-renderer/src/x.ts', "import fs from 'node:fs'; export const a = fs;", 'no-restricted-imports'],
    ['src-main/app/x.ts', "import { ipcMain } from 'electron'; export const a = ipcMain;", 'no-restricted-imports'],
    ['src-main/app/x.ts', "import * as electron from 'electron'; export const a = electron.ipcMain;", 'no-restricted-syntax'],
    ['src-renderer/src/x.ts', 'export const a = (w: { ipcRenderer: unknown }) => w.ipcRenderer;', 'no-restricted-syntax'],
  ])('%s: rejects %s', async (filePath, code, rule) => {
    expect(await ruleIds(filePath, code)).toContain(rule);
  });

  it.each([
    ['src-main/ipc/electron.ts', "import { ipcMain } from 'electron'; export const a = ipcMain;"],
    ['src-main/preload/index.ts', "import { ipcRenderer } from 'electron'; export const a = ipcRenderer;"],
    ['src-main/app/x.ts', "import { app } from 'electron'; export const a = app;"],
    ['src-main/engine/x.ts', "import { readFileSync } from 'node:fs'; export const a = readFileSync;"],
    ['src-shared/x.ts', "import { z } from 'zod'; export const a = z;"],
  ])('%s: allows the bridge and legitimate imports', async (filePath, code) => {
    expect(await ruleIds(filePath, code)).toEqual([]);
  });
});
