/**
 * The `mmry` command as plain JavaScript, in out/cli/ (`npm run build:cli`;
 * npm install and `npm run build` run it too).
 *
 * Why: from the TypeScript sources, every start of the CLI (and of each of
 * its worker threads) resolves, reads and type-strips about a hundred
 * modules, loading Node's TypeScript stripper first. The bundle is three
 * entries and a few shared chunks: 30–45 ms less per command here, a tenth
 * of an unchanged re-backup.
 *
 * bin/mmry.js runs the bundle only while every source file it was built
 * from is as it was (out/cli/sources.json: size and mtime of each, taken
 * before the bundler read it), and the sources otherwise, so an edit is
 * never hidden behind a stale build (bin/cli-entry.js).
 *
 * npm packages stay outside the bundle and load from node_modules as they
 * are: piscina finds its own worker file beside itself, and
 * better-sqlite3-multiple-ciphers is a native module.
 */
import { readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { defineConfig } from 'rolldown';
import type { Plugin } from 'rolldown';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const packages = Object.keys(pkg.dependencies);

export const CLI_OUT_DIR = 'out/cli';

export default defineConfig({
  input: {
    ahead: resolve(root, 'src-main/cli/ahead.ts'),
    main: resolve(root, 'src-main/cli/main.ts'),
    // engine/workers/pool.ts starts ./worker.js beside itself when it runs bundled.
    worker: resolve(root, 'src-main/engine/workers/worker.ts'),
  },
  platform: 'node',
  external: (id) => id.startsWith('node:') || builtinModules.includes(id) || packages.some((p) => id === p || id.startsWith(`${p}/`)),
  output: { dir: resolve(root, CLI_OUT_DIR), format: 'esm', cleanDir: true },
  plugins: [sourcesManifest()],
});

/** Records each source file's size and mtime before the bundler reads it, into sources.json beside the bundle. */
function sourcesManifest(): Plugin {
  const seen = new Map<string, [size: number, mtimeMs: number]>();
  return {
    name: 'mmry-sources-manifest',
    load(id) {
      if (isAbsolute(id)) {
        const st = statSync(id);
        seen.set(id, [st.size, st.mtimeMs]);
      }
      return null;
    },
    generateBundle(_options, bundle) {
      const files: [path: string, size: number, mtimeMs: number][] = [];
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        for (const id of chunk.moduleIds) {
          const st = seen.get(id);
          if (st) files.push([relative(root, id).split('\\').join('/'), ...st]);
        }
      }
      const config = statSync(resolve(root, 'rolldown.cli.config.ts'));
      files.push(['rolldown.cli.config.ts', config.size, config.mtimeMs]);
      files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.emitFile({ type: 'asset', fileName: 'sources.json', source: `${JSON.stringify({ files }, null, 0)}\n` });
    },
  };
}
