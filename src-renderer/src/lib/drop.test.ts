// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { NO_PATHS_IN_BROWSER, parentFolder, planDrop, readDrop, withoutTrailingSeparator } from './drop.ts';
import type { DropData } from './drop.ts';

const projects = [
  { name: 'site', sourcePath: '/home/me/site' },
  { name: 'thesis', sourcePath: 'C:\\Users\\me\\thesis\\' },
];

describe('planDrop', () => {
  it('backs up a new folder as a new project, and an existing project folder again', () => {
    const plan = planDrop(
      [
        { name: 'photos', path: '/home/me/photos', isFolder: true },
        { name: 'site', path: '/home/me/site/', isFolder: true },
      ],
      projects,
    );
    expect(plan.problems).toEqual([]);
    expect(plan.backups).toEqual([
      { sourcePath: '/home/me/photos', note: '/home/me/photos becomes a new project and is backed up.' },
      { sourcePath: '/home/me/site', project: 'site', note: '/home/me/site is already the project “site”: taking a new snapshot.' },
    ]);
  });

  it('backs up the folder that holds a dropped file, once for several files, and says why', () => {
    const plan = planDrop(
      [
        { name: 'a.txt', path: '/home/me/site/a.txt', isFolder: false },
        { name: 'b.txt', path: '/home/me/site/b.txt', isFolder: false },
        { name: 'chapter1.docx', path: 'C:\\Users\\me\\drafts\\chapter1.docx', isFolder: false },
        { name: 'thesis.bib', path: 'C:\\Users\\me\\thesis\\thesis.bib', isFolder: false },
      ],
      projects,
    );
    expect(plan.backups).toEqual([
      { sourcePath: '/home/me/site', project: 'site', note: 'a.txt is a file, so the folder that holds it, /home/me/site (the project “site”), gets a new snapshot.' },
      { sourcePath: 'C:\\Users\\me\\drafts', note: 'chapter1.docx is a file, so the folder that holds it, C:\\Users\\me\\drafts, becomes a new project and is backed up.' },
      { sourcePath: 'C:\\Users\\me\\thesis', project: 'thesis', note: 'thesis.bib is a file, so the folder that holds it, C:\\Users\\me\\thesis (the project “thesis”), gets a new snapshot.' },
    ]);
  });

  it('a folder and a file inside it back the folder up once', () => {
    const plan = planDrop(
      [
        { name: 'site', path: '/home/me/site', isFolder: true },
        { name: 'a.txt', path: '/home/me/site/a.txt', isFolder: false },
      ],
      projects,
    );
    expect(plan.backups.map((b) => b.sourcePath)).toEqual(['/home/me/site']);
  });

  it('in a browser, where items have no path, asks for the path instead (once)', () => {
    const plan = planDrop(
      [
        { name: 'site', path: null, isFolder: true },
        { name: 'a.txt', path: '', isFolder: false },
      ],
      projects,
    );
    expect(plan).toEqual({ backups: [], problems: [NO_PATHS_IN_BROWSER] });
  });
});

describe('paths', () => {
  it('finds the folder that holds a path on either kind of system', () => {
    expect(parentFolder('/home/me/a.txt')).toBe('/home/me');
    expect(parentFolder('/a.txt')).toBe('/');
    expect(parentFolder('C:\\x.txt')).toBe('C:\\');
    expect(parentFolder('C:\\Users\\me\\x.txt')).toBe('C:\\Users\\me');
    expect(parentFolder('/home/me/dir/')).toBe('/home/me');
  });

  it('drops trailing separators but keeps roots', () => {
    expect(withoutTrailingSeparator('/home/me//')).toBe('/home/me');
    expect(withoutTrailingSeparator('/')).toBe('/');
    expect(withoutTrailingSeparator('C:\\')).toBe('C:\\');
    expect(withoutTrailingSeparator('C:\\Users\\')).toBe('C:\\Users');
  });
});

describe('readDrop', () => {
  const folder = new File([], 'site');
  const file = new File(['hello'], 'a.txt');
  const paths = new Map([
    [folder, '/home/me/site'],
    [file, '/home/me/site/a.txt'],
  ]);
  const items: DropData['items'] = [
    { kind: 'file', getAsFile: () => folder, webkitGetAsEntry: () => ({ isDirectory: true }) },
    { kind: 'string', getAsFile: () => null },
    { kind: 'file', getAsFile: () => file, webkitGetAsEntry: () => ({ isDirectory: false }) },
  ];

  it('reads each dropped file or folder with its path (desktop app) and whether it is a folder', () => {
    expect(readDrop({ items, files: [folder, file] }, (f) => paths.get(f) ?? '')).toEqual([
      { name: 'site', path: '/home/me/site', isFolder: true },
      { name: 'a.txt', path: '/home/me/site/a.txt', isFolder: false },
    ]);
  });

  it('has no paths without the desktop bridge, and falls back to the file list when there are no items', () => {
    expect(readDrop({ items, files: [folder, file] })).toEqual([
      { name: 'site', path: null, isFolder: true },
      { name: 'a.txt', path: null, isFolder: false },
    ]);
    expect(readDrop({ files: [file] }, (f) => paths.get(f) ?? '')).toEqual([{ name: 'a.txt', path: '/home/me/site/a.txt', isFolder: null }]);
  });

  it('reads a real DataTransfer built in the page', () => {
    const dt = new DataTransfer();
    dt.items.add(file);
    const read = readDrop(dt, (f) => paths.get(f) ?? '');
    expect(read.map((r) => [r.name, r.path])).toEqual([['a.txt', '/home/me/site/a.txt']]);
  });
});
