import { describe, expect, it } from 'vitest';
import { ManualClock } from './testing/manual-clock.ts';
import { PlacementSaver, restorePlacement } from './window-state.ts';
import type { Rect } from './window-state.ts';
import type { WindowPlacement } from './settings.ts';

const DEFAULTS = { width: 1200, height: 800, minWidth: 720, minHeight: 480 };
// A laptop (primary, with a top bar) and an external monitor to its right.
const LAPTOP: Rect = { x: 0, y: 25, width: 1440, height: 875 };
const MONITOR: Rect = { x: 1440, y: 0, width: 2560, height: 1440 };
const saved = (x: number, y: number, width = 1000, height = 700, maximized = false): WindowPlacement => ({ bounds: { x, y, width, height }, maximized });
const inside = (b: Rect, a: Rect) => b.x >= a.x && b.y >= a.y && b.x + b.width <= a.x + a.width && b.y + b.height <= a.y + a.height;

describe('restorePlacement', () => {
  it('opens at the default size, centred on the primary display, the first time', () => {
    expect(restorePlacement(null, [LAPTOP, MONITOR], DEFAULTS)).toEqual({ bounds: { x: 120, y: 63, width: 1200, height: 800 }, maximized: false });
  });

  it('keeps saved bounds that are fully visible, on whichever display they are', () => {
    expect(restorePlacement(saved(100, 100), [LAPTOP, MONITOR], DEFAULTS).bounds).toEqual({ x: 100, y: 100, width: 1000, height: 700 });
    expect(restorePlacement(saved(2000, 300, 1600, 900, true), [LAPTOP, MONITOR], DEFAULTS)).toEqual(saved(2000, 300, 1600, 900, true));
  });

  it('moves a window saved on a monitor that is gone back onto the primary display', () => {
    const p = restorePlacement(saved(2000, 300, 1600, 900), [LAPTOP], DEFAULTS);
    expect(inside(p.bounds, LAPTOP)).toBe(true);
    expect(p.bounds).toEqual({ x: 0, y: 25, width: 1440, height: 875 });
  });

  it('pulls a window hanging off an edge fully onto the display it overlaps most', () => {
    const p = restorePlacement(saved(3500, 1200, 1000, 700), [LAPTOP, MONITOR], DEFAULTS);
    expect(p.bounds).toEqual({ x: 3000, y: 740, width: 1000, height: 700 });
    // Above the top bar: pulled down below it.
    expect(restorePlacement(saved(200, -300), [LAPTOP, MONITOR], DEFAULTS).bounds).toEqual({ x: 200, y: 25, width: 1000, height: 700 });
  });

  it('treats a sliver on screen as unreachable and recentres the window', () => {
    const p = restorePlacement(saved(1400, 100, 1000, 700), [LAPTOP], DEFAULTS);
    expect(p.bounds).toEqual({ x: 220, y: 113, width: 1000, height: 700 });
  });

  it('shrinks a window bigger than the display, and grows one below the minimum size', () => {
    const small: Rect = { x: 0, y: 0, width: 800, height: 600 };
    expect(restorePlacement(saved(0, 0, 3000, 2000), [small], DEFAULTS).bounds).toEqual({ x: 0, y: 0, width: 800, height: 600 });
    expect(restorePlacement(saved(10, 40, 200, 100), [LAPTOP], DEFAULTS).bounds).toEqual({ x: 10, y: 40, width: 720, height: 480 });
  });
});

describe('PlacementSaver', () => {
  it('writes once the window stands still, with the last bounds, and flushes at once on close', () => {
    const clock = new ManualClock();
    const written: WindowPlacement[] = [];
    const saver = new PlacementSaver((p) => written.push(p), 500, clock);
    for (let x = 0; x < 50; x++) {
      saver.changed(saved(x, 0));
      clock.advance(16);
    }
    expect(written).toEqual([]);
    clock.advance(500);
    expect(written).toEqual([saved(49, 0)]);
    saver.changed(saved(7, 7));
    saver.flush();
    expect(written.at(-1)).toEqual(saved(7, 7));
    clock.advance(1000);
    saver.flush();
    expect(written).toHaveLength(2);
  });
});
