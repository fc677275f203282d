// @vitest-environment happy-dom
/**
 * The restore dialog's choices and where a finished restore says it went,
 * rendered with React in happy-dom over a contract client that records the
 * calls it is asked to make.
 */
import { act } from 'react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../src-shared/contract.ts';
import { createQueryClient } from '../api.tsx';
import { ContractClient } from '../client.ts';
import { JobDialog } from './Dialogs.tsx';
import type { JobRequest } from './Dialogs.tsx';
import { JobPlace } from './JobPlace.tsx';
import { flush, renderWithServices, unmountAll, until } from '../test-render.tsx';

const SNAPSHOT = 'ab'.repeat(32);
const queryClient = { current: createQueryClient() };
function mount(ui: ReactNode, answer: (name: string, args: unknown) => CallOutcome) {
  queryClient.current = createQueryClient();
  const calls: { name: string; args: unknown }[] = [];
  const client = new ContractClient({ call: async (name, args) => (calls.push({ name, args }), answer(name, args)), on: () => () => undefined });
  renderWithServices(ui, { client, queryClient: queryClient.current });
  return calls;
}

const radio = (name: string) => [...document.querySelectorAll<HTMLInputElement>('input[type="radio"]')].find((r) => r.closest('label')!.textContent!.startsWith(name))!;
const button = (name: string) => [...document.querySelectorAll('button')].find((b) => b.textContent!.trim() === name)!;
function type(input: HTMLInputElement, value: string) {
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
/** Whether the page knows yet if this app can open folders. */
const infoAnswered = () => queryClient.current.getQueryData(['app.info', {}]) !== undefined;
const started = (): CallOutcome => ({ ok: true, value: { opId: 'op-1' } });
const request: JobRequest = { kind: 'restore', snapshotId: SNAPSHOT, paths: ['src/a.ts'], label: 'a.ts' };

describe('the restore dialog', () => {
  it("restores to the project's own folder by default, keeping both copies of anything already there", async () => {
    const calls = mount(<JobDialog request={request} onClose={() => undefined} nativeDialogs={false} originalFolder="/home/me/site" />, started);
    expect(radio('Original folder').checked).toBe(true);
    expect(radio('Keep both').checked).toBe(true);
    expect(document.querySelector('[role="dialog"]')!.textContent).toContain('/home/me/site');
    act(() => button('Restore').click());
    await flush();
    expect(calls).toEqual([{ name: 'restore.start', args: { snapshotId: SNAPSHOT, target: '/home/me/site', conflict: 'keep-both', paths: ['src/a.ts'] } }]);
  });

  it('warns before overwriting the original folder', () => {
    mount(<JobDialog request={request} onClose={() => undefined} nativeDialogs={false} originalFolder="/home/me/site" />, started);
    expect(document.querySelector('[role="note"]')).toBeNull();
    act(() => radio('Overwrite').click());
    expect(document.querySelector('[role="note"]')!.textContent).toContain('Files in /home/me/site that differ from this snapshot are replaced');
    act(() => radio('Another folder').click());
    expect(document.querySelector('[role="note"]')).toBeNull();
  });

  it('typing a folder chooses "Another folder", and that folder is where it goes', async () => {
    const calls = mount(<JobDialog request={request} onClose={() => undefined} nativeDialogs={false} originalFolder="/home/me/site" />, started);
    type(document.querySelector<HTMLInputElement>('input[type="text"]')!, '/tmp/restored ');
    expect(radio('Another folder').checked).toBe(true);
    act(() => radio('Skip').click());
    act(() => button('Restore').click());
    await flush();
    expect(calls).toEqual([{ name: 'restore.start', args: { snapshotId: SNAPSHOT, target: '/tmp/restored', conflict: 'skip', paths: ['src/a.ts'] } }]);
  });

  it('picks the folder with the native dialog in the desktop app', async () => {
    const calls = mount(<JobDialog request={request} onClose={() => undefined} nativeDialogs={true} originalFolder="/home/me/site" />, (name) =>
      name === 'dialog.pick-folder' ? { ok: true, value: { path: '/media/usb/restored' } } : started(),
    );
    act(() => button('Choose…').click());
    await flush();
    expect(document.querySelector<HTMLInputElement>('input[type="text"]')!.value).toBe('/media/usb/restored');
    expect(radio('Another folder').checked).toBe(true);
    act(() => button('Restore').click());
    await flush();
    expect(calls.map((c) => c.name)).toEqual(['dialog.pick-folder', 'restore.start']);
    expect(calls[1]!.args).toMatchObject({ target: '/media/usb/restored' });
  });

  it('without a known original folder asks only for a folder, and shows what main answered', async () => {
    mount(<JobDialog request={request} onClose={() => undefined} nativeDialogs={false} />, () => ({ ok: false, error: { kind: 'permission-denied', message: 'MMRY Vault may not write in /srv. Choose a folder you can write to, or change the permissions of that one.' } }));
    expect(document.querySelectorAll('input[name="where"]')).toHaveLength(0);
    expect(button('Restore').disabled).toBe(true);
    type(document.querySelector<HTMLInputElement>('input[type="text"]')!, '/srv/restored');
    act(() => button('Restore').click());
    await flush();
    expect(document.querySelector('[role="alert"]')!.textContent).toBe('MMRY Vault may not write in /srv. Choose a folder you can write to, or change the permissions of that one.');
  });
});

describe('where a finished restore went', () => {
  it('opens the folder in the file manager in the desktop app', async () => {
    const calls = mount(<JobPlace path="/home/me/restored" kind="restore" />, (name) =>
      name === 'app.info' ? { ok: true, value: { openFolders: true } } : name === 'app.show-folder' ? { ok: false, error: { kind: 'not-found', message: 'The folder /home/me/restored is not there any more.' } } : started(),
    );
    const show = await until(() => button('Show in file manager'));
    act(() => show.click());
    await flush();
    expect(calls.map((c) => c.name)).toEqual(['app.info', 'app.show-folder']);
    expect(calls[1]!.args).toEqual({ path: '/home/me/restored' });
    expect(document.querySelector('[role="status"]')!.textContent).toBe('The folder /home/me/restored is not there any more.');
  });

  it('offers to copy the path where folders cannot be opened, and an export never opens', async () => {
    for (const [kind, openFolders] of [
      ['restore', false],
      ['export', true],
    ] as const) {
      const calls = mount(<JobPlace path="/home/me/out" kind={kind} />, (name) => (name === 'app.info' ? { ok: true, value: { openFolders } } : started()));
      await until(infoAnswered);
      await flush();
      expect(button('Show in file manager')).toBeUndefined();
      expect(document.querySelector<HTMLInputElement>('input[readonly]')!.value).toBe('/home/me/out');
      act(() => button('Copy path').click());
      await flush();
      expect(document.querySelector('[role="status"]')!.textContent).toMatch(/^(Path copied\.|The path is selected: press Ctrl\+C)/);
      expect(calls.map((c) => c.name)).toEqual(['app.info']);
      unmountAll();
    }
  });
});
