/**
 * Progress of a long command on standard error: a bar redrawn in place on a terminal, plain lines at a bounded
 * frequency otherwise (a log file or CI must not get a line per batch). The formatting is pure, for tests.
 */
import type { Writable } from 'node:stream';

/** Counts a progress line shows. */
export interface ProgressCounts {
  /** Items done (sent). */
  readonly done: number;
  /** Items that failed for good. */
  readonly failed: number;
  /** Items planned; done can pass it when items appeared after planning. */
  readonly total: number;
  readonly bytes: number;
  readonly totalBytes: number;
  /** Milliseconds since the work started. */
  readonly elapsedMs: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units with three significant digits at most: `0 B`, `512 B`, `1.5 KiB`, `12.3 MiB`, `118 GiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const shown = value >= 100 ? value.toFixed(0) : value.toFixed(1);
  // 1023.96 KiB rounds to "1024": say 1.0 MiB instead.
  if (shown === '1024' && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1]}`;
  return `${shown} ${UNITS[unit]}`;
}

/** A duration for people: `42s`, `3m05s`, `2h07m`, `3d04h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** Items a second so far, and the time left at that rate (undefined until there is a rate to go by). */
export function rateAndEta(counts: ProgressCounts): { perSecond: number; etaSeconds: number | undefined } {
  const seconds = counts.elapsedMs / 1000;
  const perSecond = seconds > 0 ? counts.done / seconds : 0;
  const left = Math.max(0, counts.total - counts.done - counts.failed);
  return { perSecond, etaSeconds: perSecond > 0 ? left / perSecond : left === 0 ? 0 : undefined };
}

function percent(counts: ProgressCounts): number {
  if (counts.total <= 0) return 100;
  return Math.min(100, Math.floor(((counts.done + counts.failed) * 100) / counts.total));
}

/** The figures after the bar or in a plain line: counts, bytes, rate, time left, failures. */
function figures(counts: ProgressCounts, noun: string): string[] {
  const { perSecond, etaSeconds } = rateAndEta(counts);
  return [
    `${counts.done}/${counts.total} ${noun} ${percent(counts)}%`,
    `${formatBytes(counts.bytes)}/${formatBytes(counts.totalBytes)}`,
    `${perSecond.toFixed(1)}/s`,
    `ETA ${etaSeconds === undefined ? '?' : formatDuration(etaSeconds)}`,
    ...(counts.failed > 0 ? [`${counts.failed} failed`] : []),
  ];
}

/**
 * A one-line bar for a terminal `columns` wide: `[#####-----] 120/400 objects 30% 1.2 MiB/4.0 MiB 5.0/s ETA 56s`.
 * The bar takes what the figures leave, from 10 to 40 characters; the line never passes `columns - 1`.
 */
export function formatProgressBar(counts: ProgressCounts, columns: number, noun = 'objects'): string {
  const text = figures(counts, noun).join('  ');
  const width = Math.max(10, Math.min(40, columns - text.length - 4));
  const filled = Math.round((percent(counts) / 100) * width);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
  return line.length < columns ? line : line.slice(0, Math.max(0, columns - 1));
}

/** A plain progress line: `120/400 objects 30%, 1.2 MiB/4.0 MiB, 5.0/s, ETA 56s`. */
export function formatProgressLine(counts: ProgressCounts, noun = 'objects'): string {
  return figures(counts, noun).join(', ');
}

/** Options of {@link ProgressReporter}. */
export interface ProgressReporterOptions {
  readonly stream: Writable;
  /** A terminal: redraw one line in place. Otherwise: plain lines. */
  readonly tty: boolean;
  /** Width of the terminal. @default 80 */
  readonly columns?: number;
  /** Milliseconds of a clock (injectable so tests decide when lines are due). */
  readonly now: () => number;
  /** Written before every plain line, e.g. `cf-logs backfill: `. */
  readonly label: string;
  /** Least time between two redraws on a terminal. @default 200 */
  readonly ttyIntervalMs?: number;
  /** Least time between two plain lines. @default 10000 */
  readonly plainIntervalMs?: number;
}

/** What to show: the bar for a terminal `columns` wide, and the plain line. */
export interface ProgressView {
  bar(columns: number): string;
  line(): string;
}

/**
 * Shows progress on a stream. `show` is cheap to call after every batch: it writes only when a redraw or a line
 * is due. `log` writes a message without tearing the bar; `finish` clears the bar so a summary can follow.
 */
export class ProgressReporter {
  private readonly options: ProgressReporterOptions;
  private last = Number.NEGATIVE_INFINITY;
  private drawn: ProgressView | undefined;
  private barShown = false;
  private lastLine: string | undefined;

  constructor(options: ProgressReporterOptions) {
    this.options = options;
  }

  /** Shows `view` when due (or at once with `force`). */
  show(view: ProgressView, force = false): void {
    const now = this.options.now();
    const interval = this.options.tty
      ? (this.options.ttyIntervalMs ?? 200)
      : (this.options.plainIntervalMs ?? 10_000);
    this.drawn = view;
    if (!force && now - this.last < interval) return;
    this.last = now;
    this.draw(view);
  }

  /** Writes a line of its own (a warning, a failure), keeping the bar below it on a terminal. */
  log(line: string): void {
    if (this.options.tty && this.barShown) {
      this.options.stream.write(`\r\x1b[K${line}\n`);
      if (this.drawn) this.draw(this.drawn);
      return;
    }
    this.options.stream.write(`${line}\n`);
  }

  /** Clears the bar from a terminal; a plain stream gets nothing more. */
  finish(): void {
    if (this.options.tty && this.barShown) this.options.stream.write('\r\x1b[K');
    this.barShown = false;
  }

  private draw(view: ProgressView): void {
    if (this.options.tty) {
      this.options.stream.write(`\r\x1b[K${view.bar(this.options.columns ?? 80)}`);
      this.barShown = true;
    } else {
      // A forced line that says nothing new (the end, right after a due line) is left out.
      const line = view.line();
      if (line !== this.lastLine) this.options.stream.write(`${this.options.label}${line}\n`);
      this.lastLine = line;
    }
  }
}
