import { describe, expect, it } from 'vitest';
import { isVaultError } from '../engine/errors.ts';
import { folderOpener } from './show-folder.ts';

describe('folderOpener', () => {
  it('hands the folder to the file manager and succeeds when it answers no error', async () => {
    const opened: string[] = [];
    await folderOpener(async (p) => (opened.push(p), ''))('/home/me/restored');
    expect(opened).toEqual(['/home/me/restored']);
  });

  it('turns an error answer or a rejection into one plain sentence with what to do', async () => {
    const failed = folderOpener(async () => 'Failed to open path.')('/home/me/restored');
    await expect(failed).rejects.toSatisfy((e) => isVaultError(e, 'io'));
    await expect(failed).rejects.toThrow('The file manager could not open /home/me/restored (Failed to open path). Open it yourself from its path.');
    await expect(folderOpener(() => Promise.reject(new Error('no file manager')))('/x')).rejects.toThrow(/could not open \/x \(no file manager\)/);
  });
});
