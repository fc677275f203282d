/**
 * The bundled CLI (rolldown.cli.config.ts) and the launcher's choice of it
 * (bin/cli-entry.js).
 *
 * The bundle is built into a scratch copy of the project (its own bin/ and
 * out/cli/, the sources and node_modules linked), then drives a backup that
 * starts worker threads, a restore and a full verify: the same results as
 * the sources, from the bundle's own main and worker modules (each leaves a
 * mark when it loads). The choice itself is checked on a made-up project:
 * the bundle only while every file its manifest lists has the size and
 * mtime recorded, the sources otherwise.
 */
import { appendFile, copyFile, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../../bin/cli-entry.js';
import config from '../../rolldown.cli.config.ts';
import { PASSWORD } from './config.ts';
import { collect, expectSameTree, noise, prose, readTree, repoRoot, useScratch } from './helpers.ts';

const scratch = useScratch('cli-bundle');
const rootUrl = (dir: string) => pathToFileURL(`${dir}/`);

describe('the bundled CLI', () => {
  let project: string;
  let marks: string;

  beforeAll(async () => {
    project = await scratch('project');
    await mkdir(join(project, 'bin'));
    // Copied, not linked: Node resolves a linked launcher to the real project, and its out/cli.
    for (const f of ['mmry.js', 'cli-entry.js']) await copyFile(join(repoRoot, 'bin', f), join(project, 'bin', f));
    for (const f of ['src-main', 'src-shared', 'package.json', 'node_modules', 'rolldown.cli.config.ts']) await symlink(join(repoRoot, f), join(project, f));
    const out = join(project, 'out', 'cli');
    await build({ ...config, output: { ...config.output, dir: out } });
    // Each entry, once loaded, leaves a file named after it in MMRY_TEST_MARKS (imports are hoisted, so at the end is fine).
    for (const entry of ['main', 'worker']) {
      await appendFile(join(out, `${entry}.js`), `\nimport { writeFileSync as __mark } from 'node:fs';\nif (process.env.MMRY_TEST_MARKS) __mark(process.env.MMRY_TEST_MARKS + '/${entry}', '');\n`);
    }
    marks = await scratch('marks');
  }, 60_000);

  const run = (args: string[]) =>
    collect(spawn(process.execPath, [join(project, 'bin', 'mmry.js'), ...args], { env: { ...process.env, MMRY_PASSWORD: PASSWORD, MMRY_TEST_MARKS: marks }, stdio: ['ignore', 'pipe', 'pipe'] }), 60_000);

  it('is what the launcher picks, and backs up with worker threads, restores and verifies as the sources do', async () => {
    expect(cliEntry(rootUrl(project)).bundled).toBe(true);
    const source = join(await scratch('source'), 'src');
    await mkdir(join(source, 'docs'), { recursive: true });
    await writeFile(join(source, 'docs', 'guide.md'), prose(7, 20_000));
    // Over the pool's inline limit, so the worker threads start.
    await writeFile(join(source, 'model.bin'), noise('bundle', 600_000));
    const vault = join(await scratch('vault'), 'v');
    const target = join(await scratch('target'), 't');

    expect((await run(['init', vault])).code).toBe(0);
    const backedUp = await run(['backup', vault, source, '--json']);
    expect(backedUp.stderr).toBe('');
    expect(JSON.parse(backedUp.stdout)).toMatchObject({ files: 2, filesNew: 2 });
    expect((await run(['restore', vault, 'latest', target])).code).toBe(0);
    expectSameTree(await readTree(target), await readTree(source), { mtimes: true });
    const verified = await run(['verify', vault, '--read-data', '--json']);
    expect(verified.code).toBe(0);
    expect(existsSync(join(marks, 'main')) && existsSync(join(marks, 'worker'))).toBe(true);
  });
});

describe('the launcher', () => {
  /** A made-up project whose out/cli/sources.json lists two files as they are now. */
  async function madeUp(): Promise<{ dir: string; files: string[] }> {
    const dir = await scratch('made-up');
    await mkdir(join(dir, 'src-main', 'cli'), { recursive: true });
    await mkdir(join(dir, 'out', 'cli'), { recursive: true });
    const files = ['src-main/cli/main.ts', 'src-main/cli/ahead.ts'];
    const listed = [];
    for (const f of files) {
      await writeFile(join(dir, f), `// ${f}\n`);
      const st = await stat(join(dir, f));
      listed.push([f, st.size, st.mtimeMs]);
    }
    await writeFile(join(dir, 'out', 'cli', 'sources.json'), JSON.stringify({ files: listed }));
    return { dir, files };
  }

  it('runs the bundle while every listed source is as it was', async () => {
    const { dir } = await madeUp();
    const entry = cliEntry(rootUrl(dir), {});
    expect(entry).toMatchObject({ bundled: true });
    expect(entry.main.href).toBe(new URL('out/cli/main.js', rootUrl(dir)).href);
    expect(cliEntry(rootUrl(dir), { MMRY_CLI_SOURCES: '1' })).toMatchObject({ bundled: false });
  });

  it('runs the sources once a listed file is touched, changed in size or gone, or when the manifest is missing or malformed', async () => {
    const touched = await madeUp();
    await utimes(join(touched.dir, touched.files[0]!), new Date(), new Date(Date.now() + 5_000));
    const grown = await madeUp();
    const st = await stat(join(grown.dir, grown.files[1]!));
    await appendFile(join(grown.dir, grown.files[1]!), 'x');
    await utimes(join(grown.dir, grown.files[1]!), st.atime, st.mtime); // same mtime, other size
    const gone = await madeUp();
    await writeFile(join(gone.dir, 'out', 'cli', 'sources.json'), JSON.stringify({ files: [...JSON.parse(await readFile(join(gone.dir, 'out', 'cli', 'sources.json'), 'utf8')).files, ['src-main/cli/new.ts', 1, 1]] }));
    const unbuilt = await scratch('unbuilt');
    const malformed = await madeUp();
    await writeFile(join(malformed.dir, 'out', 'cli', 'sources.json'), '{"files": 3');
    const empty = await madeUp();
    await writeFile(join(empty.dir, 'out', 'cli', 'sources.json'), '{"files": []}');

    for (const dir of [touched.dir, grown.dir, gone.dir, unbuilt, malformed.dir, empty.dir]) {
      const entry = cliEntry(rootUrl(dir), {});
      expect(entry.bundled, dir).toBe(false);
      expect(entry.main.href).toBe(new URL('src-main/cli/main.ts', rootUrl(dir)).href);
    }
  });
});
