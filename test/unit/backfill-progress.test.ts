/**
 * Progress of `cf-logs backfill` on standard error: the formatting (bytes, durations, rate, ETA, the bar) and
 * when the reporter writes (a terminal gets a bar redrawn in place, a log gets lines at a bounded frequency).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatProgressBar,
  formatProgressLine,
  type ProgressCounts,
  ProgressReporter,
  rateAndEta,
} from '../../lambdas/cli/progress.ts';

const MIB = 1024 * 1024;
const COUNTS: ProgressCounts = {
  done: 120,
  failed: 0,
  total: 400,
  bytes: 1.2 * MIB,
  totalBytes: 4 * MIB,
  elapsedMs: 24_000,
};

describe('backfill progress formatting', () => {
  it('writes bytes in binary units with at most three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(12.34 * MIB)).toBe('12.3 MiB');
    expect(formatBytes(118 * 1024 * MIB)).toBe('118 GiB');
    expect(formatBytes(1024 * MIB - 1)).toBe('1.0 GiB');
  });

  it('writes durations in the two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 59)).toBe('3d04h');
  });

  it('takes the rate from what was done so far, and the time left from the rate', () => {
    expect(rateAndEta(COUNTS)).toEqual({ perSecond: 5, etaSeconds: 56 });
    expect(rateAndEta({ ...COUNTS, done: 0 }).etaSeconds).toBeUndefined();
    expect(rateAndEta({ ...COUNTS, done: 400, total: 400 }).etaSeconds).toBe(0);
    expect(rateAndEta({ ...COUNTS, elapsedMs: 0 }).perSecond).toBe(0);
  });

  it('draws a bar with the counts, bytes, rate and ETA that fits the terminal', () => {
    const bar = formatProgressBar(COUNTS, 100);
    expect(bar).toBe(
      `[${'#'.repeat(12)}${'-'.repeat(28)}] 120/400 objects 30%  1.2 MiB/4.0 MiB  5.0/s  ETA 56s`,
    );
    expect(bar.length).toBeLessThan(100);
    expect(formatProgressBar(COUNTS, 40).length).toBeLessThan(40);
    expect(formatProgressBar({ ...COUNTS, failed: 3 }, 120)).toContain('3 failed');
    expect(formatProgressBar({ ...COUNTS, done: 400, total: 400 }, 120)).toMatch(
      /^\[#+\] 400\/400 objects 100%/,
    );
  });

  it('writes a plain line with the same figures', () => {
    expect(formatProgressLine(COUNTS)).toBe('120/400 objects 30%, 1.2 MiB/4.0 MiB, 5.0/s, ETA 56s');
    expect(formatProgressLine({ ...COUNTS, done: 0, elapsedMs: 0 })).toBe(
      '0/400 objects 0%, 1.2 MiB/4.0 MiB, 0.0/s, ETA ?',
    );
  });
});

function reporter(tty: boolean) {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (c: Buffer) => {
    written += c.toString('utf8');
  });
  let now = 0;
  const progress = new ProgressReporter({
    stream,
    tty,
    columns: 60,
    now: () => now,
    label: 'cf-logs backfill: ',
  });
  const view = (n: number) => ({ bar: () => `bar ${n}`, line: () => `line ${n}` });
  return {
    progress,
    view,
    advance: (ms: number) => {
      now += ms;
    },
    written: () => written,
  };
}

describe('backfill progress reporter', () => {
  it('writes plain lines no more than once every ten seconds when standard error is not a terminal', () => {
    const r = reporter(false);
    for (let i = 0; i < 100; i++) {
      r.progress.show(r.view(i));
      r.advance(1000);
    }
    expect(r.written()).toBe(
      Array.from({ length: 10 }, (_, k) => `cf-logs backfill: line ${k * 10}\n`).join(''),
    );
    expect(r.written()).not.toContain('\r');
  });

  it('redraws one line in place on a terminal, at most five times a second, and clears it at the end', () => {
    const r = reporter(true);
    for (let i = 0; i < 10; i++) {
      r.progress.show(r.view(i));
      r.advance(100);
    }
    r.progress.finish();
    expect(r.written()).toBe('\r\x1b[Kbar 0\r\x1b[Kbar 2\r\x1b[Kbar 4\r\x1b[Kbar 6\r\x1b[Kbar 8\r\x1b[K');
  });

  it('keeps a message apart from the bar, and draws the bar again below it', () => {
    const r = reporter(true);
    r.progress.show(r.view(1));
    r.progress.log('cf-logs backfill: not sent: k (InternalError)');
    expect(r.written()).toBe(
      '\r\x1b[Kbar 1\r\x1b[Kcf-logs backfill: not sent: k (InternalError)\n\r\x1b[Kbar 1',
    );
  });

  it('shows at once when forced, even within the interval', () => {
    const r = reporter(false);
    r.progress.show(r.view(1));
    r.progress.show(r.view(2), true);
    expect(r.written()).toBe('cf-logs backfill: line 1\ncf-logs backfill: line 2\n');
  });
});
