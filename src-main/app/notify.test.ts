import { describe, expect, it } from 'vitest';
import { jobNotifier, noticeFor } from './notify.ts';
import type { JobFinished, NoticeText } from './notify.ts';

const done = (kind: string, summary: Record<string, unknown> | null): JobFinished => ({ opId: 'op', kind, outcome: 'done', error: null, summary });

describe('noticeFor', () => {
  it('says what finished, for which project, and how many warnings', () => {
    expect(noticeFor(done('backup', { project: 'site', files: 1234, warnings: [{ path: 'x', message: 'unreadable' }] }))).toEqual({
      title: 'Backup finished',
      body: 'site · 1,234 files · 1 warning',
    });
    expect(noticeFor(done('restore', { project: 'site', files: 1, warnings: [] }))).toEqual({ title: 'Restore finished', body: 'site · 1 file' });
    expect(noticeFor(done('verify', null))).toEqual({ title: 'Verify finished', body: 'The verify is done.' });
  });

  it('passes the failure sentence on, and stays quiet for a cancelled job', () => {
    expect(noticeFor({ opId: 'op', kind: 'backup', outcome: 'failed', error: { kind: 'disk-full', message: 'The disk is full.' }, summary: null })).toEqual({
      title: 'Backup failed',
      body: 'The disk is full.',
    });
    expect(noticeFor({ opId: 'op', kind: 'backup', outcome: 'cancelled', error: null, summary: null })).toBeNull();
  });
});

describe('jobNotifier', () => {
  it('notifies only when enabled and the window is not focused', () => {
    const state = { enabled: true, focused: false };
    const shown: NoticeText[] = [];
    const notify = jobNotifier({ enabled: () => state.enabled, windowFocused: () => state.focused, show: (n) => shown.push(n) });
    notify(done('export', { files: 3 }));
    state.focused = true;
    notify(done('export', { files: 4 }));
    state.focused = false;
    state.enabled = false;
    notify(done('export', { files: 5 }));
    expect(shown).toEqual([{ title: 'Export finished', body: '3 files' }]);
  });
});
