/**
 * A system notification when a long job ends while the window is not in
 * front, so a person who switched away during a backup learns it finished (or
 * failed) without coming back to look. Nothing is shown when the window is
 * focused (the operations panel already says it), for jobs the person
 * cancelled, or when notifications are turned off in the settings.
 *
 * Pure: the focus test, the setting and the way to show a notification are
 * injected; main.ts passes BrowserWindow.isFocused and Electron's Notification.
 */
import type { EventPayload } from '../../src-shared/contract.ts';

export type JobFinished = EventPayload<'op.finished'>;

export interface NoticeText {
  title: string;
  body: string;
}

export interface JobNotifierOptions {
  enabled: () => boolean;
  windowFocused: () => boolean;
  show: (notice: NoticeText) => void;
}

const NOUNS: Record<string, string> = { backup: 'Backup', restore: 'Restore', export: 'Export', verify: 'Verify', repair: 'Repair' };

function count(n: unknown, noun: string): string | null {
  return typeof n === 'number' ? `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}` : null;
}

/** What the notification says about a finished job; null when nothing should be shown. */
export function noticeFor(f: JobFinished): NoticeText | null {
  if (f.outcome === 'cancelled') return null;
  const noun = NOUNS[f.kind] ?? 'The job';
  if (f.outcome === 'failed') return { title: `${noun} failed`, body: f.error?.message ?? `The ${f.kind} did not finish.` };
  const s = f.summary ?? {};
  const project = typeof s['project'] === 'string' ? s['project'] : null;
  const files = count(s['files'], 'file');
  const warnings = Array.isArray(s['warnings']) && s['warnings'].length > 0 ? count(s['warnings'].length, 'warning') : null;
  const parts = [project, files, warnings].filter(Boolean);
  return { title: `${noun} finished`, body: parts.length > 0 ? parts.join(' · ') : `The ${f.kind} is done.` };
}

/** Returns the listener to call with every `op.finished` event. */
export function jobNotifier(options: JobNotifierOptions): (finished: JobFinished) => void {
  return (finished) => {
    if (!options.enabled() || options.windowFocused()) return;
    const notice = noticeFor(finished);
    if (notice) options.show(notice);
  };
}
