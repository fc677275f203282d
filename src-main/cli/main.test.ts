import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main, packageVersion } from './main.ts';

const bin = fileURLToPath(new URL('../../bin/mmry.js', import.meta.url));

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

describe('mmry CLI entry', () => {
  it('prints help and version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: mmry <command>/);
    expect((await run(['--version'])).out).toBe(packageVersion());
  });

  it('rejects unknown commands and options with one line and usage, exit 1', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.err.split('\n')[0]).toBe("mmry: unknown command 'frobnicate'");
    expect(unknown.err).toContain('Usage: mmry');
    const badOption = await run(['serve', '--frob']);
    expect(badOption.code).toBe(1);
    expect(badOption.err.split('\n')[0]).toMatch(/^mmry: Unknown option '--frob'/);
  });

  it('runs as a real process through the bin launcher with no build step', () => {
    const res = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: mmry');
    expect(res.stderr).toBe('');
    const bad = spawnSync(process.execPath, [bin, '--nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n')[0]).toBe("mmry: unknown command '--nope'");
  });
});
