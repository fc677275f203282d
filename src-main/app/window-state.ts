/**
 * The window's size and position, remembered between runs.
 *
 * Restoring: the saved bounds are used only where they can be seen. A window
 * saved on a monitor that is gone, or partly off every screen, is moved onto
 * the display it overlaps most (or the primary one) and shrunk to fit its
 * work area (the screen minus task bars and docks). Saving: moves and resizes
 * arrive dozens of times a second while dragging, so they are debounced and
 * written once the window has stood still; the last bounds are flushed on close.
 *
 * Pure logic over plain rectangles and an injected timer; main.ts feeds it
 * from BrowserWindow and `screen`.
 */
import type { WindowPlacement } from './settings.ts';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowDefaults {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
}

/** How much of a window must be on a display for it to count as reachable there. */
const MIN_VISIBLE = { width: 160, height: 80 };

function overlap(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

function centred(size: { width: number; height: number }, area: Rect): Rect {
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return { x: area.x + Math.round((area.width - width) / 2), y: area.y + Math.round((area.height - height) / 2), width, height };
}

/**
 * Where to open the window. `workAreas` lists every display's work area, the
 * primary display first. Without saved bounds the window opens centred on the
 * primary display at its default size.
 */
export function restorePlacement(saved: WindowPlacement | null, workAreas: Rect[], defaults: WindowDefaults): WindowPlacement {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: defaults.width, height: defaults.height };
  if (!saved) return { bounds: centred(defaults, primary), maximized: false };

  const wanted = {
    ...saved.bounds,
    width: Math.max(defaults.minWidth, saved.bounds.width),
    height: Math.max(defaults.minHeight, saved.bounds.height),
  };
  let best: { area: Rect; visible: number } | null = null;
  for (const area of workAreas) {
    const o = overlap(wanted, area);
    if (!o) continue;
    const visible = o.width * o.height;
    const reachable = o.width >= Math.min(MIN_VISIBLE.width, wanted.width) && o.height >= Math.min(MIN_VISIBLE.height, wanted.height);
    if (reachable && (!best || visible > best.visible)) best = { area, visible };
  }
  if (!best) return { bounds: centred(wanted, primary), maximized: saved.maximized };

  const area = best.area;
  const width = Math.min(wanted.width, area.width);
  const height = Math.min(wanted.height, area.height);
  const x = Math.min(Math.max(wanted.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(wanted.y, area.y), area.y + area.height - height);
  return { bounds: { x, y, width, height }, maximized: saved.maximized };
}

export interface SaveTimer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Collects window changes and saves the last one after `delayMs` of quiet, or at once on `flush()`. */
export class PlacementSaver {
  readonly #save: (placement: WindowPlacement) => void;
  readonly #delayMs: number;
  readonly #timer: SaveTimer;
  #pending: WindowPlacement | null = null;
  #handle: unknown = null;

  constructor(save: (placement: WindowPlacement) => void, delayMs: number, timer: SaveTimer) {
    this.#save = save;
    this.#delayMs = delayMs;
    this.#timer = timer;
  }

  changed(placement: WindowPlacement): void {
    this.#pending = placement;
    if (this.#handle !== null) this.#timer.clearTimeout(this.#handle);
    this.#handle = this.#timer.setTimeout(() => this.flush(), this.#delayMs);
  }

  flush(): void {
    if (this.#handle !== null) this.#timer.clearTimeout(this.#handle);
    this.#handle = null;
    const p = this.#pending;
    this.#pending = null;
    if (p) this.#save(p);
  }
}
