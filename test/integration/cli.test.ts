/**
 * The `mmry` command as a user meets it, run as a real process: every
 * failure is one line on stderr starting with "mmry: " and a distinct exit
 * code, never a stack trace; `--json` output parses; snapshot references
 * (`latest`, unique prefixes) resolve, and ambiguous or unknown ones are
 * refused clearly.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DiffEntry, ListedEntry, SnapshotDiff } from '../../src-main/engine/vault/index.ts';
import { backup, Vault } from '../../src-main/engine/vault/index.ts';
import { FAST_OPTIONS, OTHER_PASSWORD, PASSWORD } from './config.ts';
import { addSnapshot } from './craft.ts';
import { contentOf, expectOneErrorLine, mmryBin, noise, prose, readTree, runCli, useScratch } from './helpers.ts';

const scratch = useScratch('cli');
let vaultDir: string;
let web: string;
let ids: { webA: string; webB: string; docs: string };
let uniqueChunks: number;

interface SnapshotJson {
  id: string;
  project: string;
  createdAt: number;
  files: number;
  totalBytes: number;
}

beforeAll(async () => {
  vaultDir = join(await scratch('vault'), 'v');
  web = join(await scratch('web'), 'web');
  await mkdir(join(web, 'assets'), { recursive: true });
  await writeFile(join(web, 'index.html'), prose(1, 8_000));
  await writeFile(join(web, 'old.js'), prose(2, 3_000));
  await writeFile(join(web, 'assets', 'logo.png'), noise('logo', 90_000));
  const docs = join(await scratch('docs'), 'docs');
  await mkdir(docs);
  await writeFile(join(docs, 'guide.md'), prose(3, 5_000));

  let t = Date.UTC(2025, 0, 1);
  const vault = await Vault.create(vaultDir, PASSWORD, { ...FAST_OPTIONS, now: () => (t += 60_000) });
  try {
    const webA = (await backup(vault, web)).snapshotId;
    await writeFile(join(web, 'index.html'), prose(11, 9_000));
    await writeFile(join(web, 'new.css'), 'body { color: teal }\n');
    await rm(join(web, 'old.js'));
    const webB = (await backup(vault, web)).snapshotId;
    const docsId = (await backup(vault, docs, { project: 'docs' })).snapshotId;
    ids = { webA, webB, docs: docsId };
    // Every distinct chunk of content the three snapshots refer to (the small test chunker cuts logo.png).
    const chunks = new Set<string>();
    const walk = async (tree: Uint8Array): Promise<void> => {
      for (const e of await vault.loadTree(tree)) {
        if (e.type === 'dir' && e.subtree) await walk(e.subtree);
        for (const id of e.content ?? []) chunks.add(Buffer.from(id).toString('hex'));
      }
    };
    for (const id of Object.values(ids)) await walk(vault.resolveSnapshot(id).treeId);
    uniqueChunks = chunks.size;
  } finally {
    await vault.close();
  }
});

describe.concurrent('mmry, read-only and failing commands (run concurrently)', () => {
  describe('mmry error lines', () => {
    it('a source folder that does not exist', async () => {
      const res = await runCli(['backup', vaultDir, join(web, 'no-such-folder')]);
      expect(res.code).toBe(2);
      expectOneErrorLine(res, /no-such-folder does not exist/);
    });

    it('a source folder inside the vault is refused', async () => {
      const res = await runCli(['backup', vaultDir, join(vaultDir, 'packs')]);
      expect(res.code).toBe(2);
      expectOneErrorLine(res, /inside the vault/);
    });

    it('a folder that is not a vault', async () => {
      const plain = await scratch('plain');
      await writeFile(join(plain, 'notes.txt'), 'hello');
      const res = await runCli(['snapshots', plain]);
      expect(res.code).toBe(2);
      expectOneErrorLine(res, /is not an MMRY vault/);
    });

    it('a password file that is a folder, and a source path through a file', async () => {
      const folder = await scratch('pw-folder');
      const pw = await runCli(['ls', vaultDir, 'latest', '--password-file', folder]);
      expect(pw.code).toBe(1);
      expectOneErrorLine(pw, new RegExp(`^mmry: The password file ${folder} is a folder, not a file\\.$`));
      const through = await runCli(['backup', vaultDir, join(web, 'index.html', 'deeper')]);
      expect(through.code).toBe(2);
      expectOneErrorLine(through, /^mmry: Something on the path of the source folder .*index\.html\/deeper is not a folder\.$/);
    });

    it('a wrong password exits 3', async () => {
      const res = await runCli(['ls', vaultDir, 'latest'], { password: OTHER_PASSWORD });
      expect(res.code).toBe(3);
      expect(res.stdout).toBe('');
      expectOneErrorLine(res, /^mmry: The vault password is wrong\.$/);
    });

    it('restoring over existing files is refused without --overwrite', async () => {
      const target = join(await scratch('restore'), 'out');
      const first = await runCli(['restore', vaultDir, 'latest', target, '--project', 'web']);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(contentOf(await readTree(target))).toEqual(contentOf(await readTree(web)));
      const again = await runCli(['restore', vaultDir, 'latest', target, '--project', 'web']);
      expect(again.code).toBe(2);
      expectOneErrorLine(again, /already exists/);
    });
  });

  describe('mmry output into a pipe', () => {
    it('a reader that leaves early (| head -1) ends the command quietly, not with EPIPE and a stack trace', async () => {
      const child = spawn(process.execPath, [mmryBin, 'snapshots', vaultDir], { env: { ...process.env, MMRY_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before the first line
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    });
  });

  describe('mmry --json output and snapshot references', () => {
    it('snapshots --json lists every snapshot, oldest first', async () => {
      const res = await runCli(['snapshots', vaultDir, '--json']);
      expect(res.code).toBe(0);
      const list = JSON.parse(res.stdout) as SnapshotJson[];
      expect(list.map((s) => s.id)).toEqual([ids.webA, ids.webB, ids.docs]);
      expect(list.map((s) => s.project)).toEqual(['web', 'web', 'docs']);
      expect(list[1]!.files).toBe(3);
    });

    it('ls --json resolves latest (of a project) and unique prefixes', async () => {
      const latestWeb = JSON.parse((await runCli(['ls', vaultDir, 'latest', '--project', 'web', '--json'])).stdout) as ListedEntry[];
      expect(latestWeb.map((e) => `${e.type}:${e.name}`)).toEqual(['dir:assets', 'file:index.html', 'file:new.css']);
      const byPrefix = await runCli(['ls', vaultDir, ids.webA.slice(0, 8).toUpperCase(), 'assets', '--json']);
      expect(byPrefix.code).toBe(0);
      const assets = JSON.parse(byPrefix.stdout) as ListedEntry[];
      expect(assets).toEqual([expect.objectContaining({ name: 'logo.png', path: 'assets/logo.png', type: 'file', size: 90_000 })]);
    });

    it('diff --json reports what was added, changed and removed', async () => {
      const res = await runCli(['diff', vaultDir, ids.webA.slice(0, 12), ids.webB.slice(0, 12), '--json']);
      expect(res.code).toBe(0);
      const d = JSON.parse(res.stdout) as SnapshotDiff;
      expect(d.from).toBe(ids.webA);
      expect(d.to).toBe(ids.webB);
      const byPath = Object.fromEntries(d.entries.map((e: DiffEntry) => [e.path, e.change]));
      expect(byPath).toEqual({ 'index.html': 'changed', 'new.css': 'added', 'old.js': 'removed' });
      expect(d.sizeDelta).toBe(9_000 - 8_000 + 'body { color: teal }\n'.length - 3_000);
    });

    it('stats counts unique chunks apart from the sealed blobs that hold them', async () => {
      const json = await runCli(['stats', vaultDir, '--json']);
      expect(json.code).toBe(0);
      const s = JSON.parse(json.stdout) as { projects: number; snapshots: number; chunks: number; blobs: number; packs: number };
      // Six distinct files, cut into more chunks by the small test chunker; the sealed blobs hold them and the listings.
      expect(uniqueChunks).toBeGreaterThan(6);
      expect(s).toMatchObject({ projects: 2, snapshots: 3, chunks: uniqueChunks });
      const text = await runCli(['stats', vaultDir]);
      expect(text.stdout.split('\n')[0]).toBe(`2 projects, 3 snapshots; ${uniqueChunks} unique chunks in ${s.blobs} sealed blobs (small ones share one, in bundles) in ${s.packs} packs.`);
    });
  });
});

describe('mmry snapshot references that do not resolve', () => {
  it('refuses unknown, malformed and ambiguous references with one line each', async () => {
    const existing = [ids.webA, ids.webB, ids.docs];
    const unknown = ['0000', '1111', '2222', '3333', '4444', '5555'].find((p) => !existing.some((id) => id.startsWith(p)))!;
    const [none, malformed] = await Promise.all([runCli(['ls', vaultDir, unknown]), runCli(['ls', vaultDir, 'yesterday'])]);
    expect(none.code).toBe(2);
    expectOneErrorLine(none, new RegExp(`No snapshot has an id starting with '${unknown}'`));
    expect(malformed.code).toBe(1);
    expectOneErrorLine(malformed, /'yesterday' is not a snapshot id/);

    // Two snapshots whose ids share a prefix (rows added the way a commit adds them).
    const vault = await Vault.open(vaultDir, PASSWORD, FAST_OPTIONS);
    try {
      const tree = vault.resolveSnapshot(ids.docs).treeId;
      await addSnapshot(vault, tree, 'docs', { id: `abcdef${'0'.repeat(58)}` });
      await addSnapshot(vault, tree, 'docs', { id: `abcdef${'1'.repeat(58)}` });
    } finally {
      await vault.close();
    }
    const [ambiguous, unique] = await Promise.all([runCli(['ls', vaultDir, 'abcdef']), runCli(['ls', vaultDir, 'abcdef1', '--json'])]);
    expect(ambiguous.code).toBe(1);
    expectOneErrorLine(ambiguous, /'abcdef' matches 2 snapshots/);
    expect(unique.code).toBe(0);
    expect((JSON.parse(unique.stdout) as ListedEntry[]).map((e) => e.name)).toEqual(['guide.md']);
  });
});

