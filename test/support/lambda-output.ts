/**
 * Captures what a Lambda handler prints. Powertools Logger and Metrics write through their own `Console` on
 * `process.stdout` / `process.stderr` (not the global `console` a test runner intercepts), so the capture swaps the
 * streams' `write` while the handler runs: tests stay quiet and can assert on structured logs and on the
 * CloudWatch Embedded Metric Format (EMF) documents.
 */

/** One Powertools log line (`level`, `message` and the extra keys). */
export type LogLine = Record<string, unknown> & { readonly level: string; readonly message: string };

/** One EMF document: metric values as top-level keys, their definitions under `_aws`. */
export type EmfDocument = Record<string, unknown> & {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
};

/** Everything printed while a handler ran. */
export class CapturedOutput {
  /** Raw lines, stdout and stderr interleaved in print order. */
  readonly lines: string[] = [];

  /** Every JSON line that parses, in order. */
  private json(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON after all (a warning that starts with a brace); left in `lines`
      }
    }
    return out;
  }

  /** Powertools log lines, optionally only those with `message`. */
  logs(message?: string): LogLine[] {
    return this.json().filter(
      (j): j is LogLine =>
        typeof j.level === 'string' &&
        typeof j.message === 'string' &&
        (message === undefined || j.message === message),
    );
  }

  /** EMF documents. */
  metrics(): EmfDocument[] {
    return this.json().filter((j): j is EmfDocument => typeof j._aws === 'object' && j._aws !== null);
  }

  /**
   * Sum of metric `name` over every EMF document (a metric added several times in one flush is an array), optionally
   * only in documents whose dimensions match `dimensions`.
   */
  metric(name: string, dimensions: Record<string, string> = {}): number {
    let sum = 0;
    for (const doc of this.metrics()) {
      if (!doc._aws.CloudWatchMetrics.some((m) => m.Metrics.some((d) => d.Name === name))) continue;
      if (!Object.entries(dimensions).every(([k, v]) => doc[k] === v)) continue;
      const value = doc[name];
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'number') sum += v;
    }
    return sum;
  }

  /** Whether metric `name` was emitted at all. */
  hasMetric(name: string): boolean {
    return this.metrics().some((doc) =>
      doc._aws.CloudWatchMetrics.some((m) => m.Metrics.some((d) => d.Name === name)),
    );
  }
}

type Write = typeof process.stdout.write;

/**
 * Runs `run` with stdout and stderr captured, and settles like `Promise.allSettled` does, so a test can assert on
 * a rejection and on what was printed before it.
 */
export async function captureOutput<T>(
  run: () => Promise<T>,
): Promise<{ readonly outcome: PromiseSettledResult<T>; readonly output: CapturedOutput }> {
  const output = new CapturedOutput();
  const partial = { text: '' };
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    partial.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = partial.text.split('\n');
    partial.text = lines.pop() ?? '';
    output.lines.push(...lines);
    const callback = rest.find((r) => typeof r === 'function') as ((error?: Error) => void) | undefined;
    callback?.();
    return true;
  }) as Write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  let outcome: PromiseSettledResult<T>;
  try {
    outcome = { status: 'fulfilled', value: await run() };
  } catch (reason) {
    outcome = { status: 'rejected', reason };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  if (partial.text !== '') output.lines.push(partial.text);
  return { outcome, output };
}
