import { describe, expect, it } from 'vitest';
import { folderPicker } from './dialogs.ts';
import type { OpenDialogOptions } from './dialogs.ts';

describe('folderPicker', () => {
  it('asks for a single folder and returns its path', async () => {
    const asked: OpenDialogOptions[] = [];
    const pick = folderPicker(async (o) => {
      asked.push(o);
      return { canceled: false, filePaths: ['/home/me/site'] };
    });
    expect(await pick('Add a project folder')).toBe('/home/me/site');
    expect(asked[0]).toMatchObject({ title: 'Add a project folder', properties: expect.arrayContaining(['openDirectory']) });
    expect(asked[0]!.properties).not.toContain('multiSelections');
  });

  it('returns null when the user cancels or picks nothing', async () => {
    expect(await folderPicker(async () => ({ canceled: true, filePaths: ['/ignored'] }))('x')).toBeNull();
    expect(await folderPicker(async () => ({ canceled: false, filePaths: [] }))('x')).toBeNull();
  });
});
