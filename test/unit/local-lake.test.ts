import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../lambdas/adapters/local-fs.ts';
import { runLocalPipeline } from '../../scripts/local-pipeline.ts';
import { fakeClock } from '../support/clock.ts';

async function lines(path: string): Promise<Record<string, unknown>[]> {
  return gunzipSync(await readFile(path))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('LocalLakeSink', () => {
  it('partitions events by dataset and event day, like the Firehose stream, and keeps each once', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cf-logs-lake-'));
    const sink = new LocalLakeSink(root, 'stream', new Date('2026-11-21T08:00:00Z'));
    const ev = (dataset: string, ts: string, n: number) =>
      JSON.stringify({ '@timestamp': ts, event: { dataset, n } });
    await sink.putRecords([
      Buffer.from(
        `${ev('http_requests', '2026-11-20T23:59:59.999Z', 1)}\n${ev('http_requests', '2026-11-21T00:00:00Z', 2)}\n`,
      ),
      Buffer.from(`${ev('gateway_dns', '2026-11-20T10:00:00Z', 3)}\n{"no":"keys"}\n`),
    ]);
    const written = await sink.close();
    expect(written.map((w) => [w.path.replace(/[^/]+$/, ''), w.events])).toEqual([
      ['ecs/dataset=gateway_dns/dt=2026-11-20/', 1],
      ['ecs/dataset=http_requests/dt=2026-11-20/', 1],
      ['ecs/dataset=http_requests/dt=2026-11-21/', 1],
      ['errors/DynamicPartitioning.MetadataExtractionFailed/dt=2026-11-21/', 1],
    ]);
    expect(written[0]!.path).toMatch(/\/stream-1-2026-11-21-08-00-00-\d{4}\.json\.gz$/);
    expect(await lines(join(root, written[2]!.path))).toEqual([
      { '@timestamp': '2026-11-21T00:00:00Z', event: { dataset: 'http_requests', n: 2 } },
    ]);
  });
});

describe('the local run behind npm start', () => {
  it('turns every sample into events except the one line cut short, which is quarantined with its reason', async () => {
    const samples = new URL('../../samples/logpush/', import.meta.url).pathname;
    const out = await mkdtemp(join(tmpdir(), 'cf-logs-run-'));
    const result = await runLocalPipeline(samples, out, fakeClock());
    expect(result.failures).toEqual([]);
    const byDataset: Record<string, number> = {};
    for (const s of result.summaries) {
      for (const [d, n] of Object.entries(s.eventsByDataset)) byDataset[d] = (byDataset[d] ?? 0) + n;
    }
    expect(byDataset).toEqual({
      access_requests: 3,
      audit_logs: 2,
      dns_logs: 3,
      email_security_alerts: 2,
      firewall_events: 4,
      gateway_dns: 3,
      gateway_http: 4,
      gateway_network: 3,
      http_requests: 5,
      workers_trace_events: 2,
      zero_trust_network_sessions: 2,
    });
    expect(result.summaries.filter((s) => s.outcome === 'skipped').map((s) => s.skipReason)).toEqual([
      'ownership-challenge',
    ]);
    expect(result.lakeFiles.map((f) => f.path.replace(/[^/]+$/, ''))).toEqual(
      Object.keys(byDataset).map((dataset) => `ecs/dataset=${dataset}/dt=2026-11-20/`),
    );
    expect(result.quarantineFiles).toHaveLength(1);
    const [entry] = await lines(join(result.lake, result.quarantineFiles[0]!));
    expect(entry).toMatchObject({
      line: 5,
      dataset: 'firewall_events',
      reason: expect.stringMatching(/^invalid JSON/),
    });
  });
});
