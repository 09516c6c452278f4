import { describe, expect, it } from 'vitest';
import type { DatasetName } from '../../lambdas/datasets/catalog.ts';
import {
  DEFAULT_LOGPUSH_SETTINGS,
  FILTER_OPERATORS,
  MAX_FILTER_BYTES,
  MAX_FILTER_CONDITIONS,
  TIMESTAMP_FORMATS,
  UPLOAD_LIMITS,
} from '../../lambdas/logpush/settings.ts';
import { checkLogpushSettings } from '../../lambdas/logpush/settings-check.ts';

const CONFIGURED: { account: DatasetName[]; zone: DatasetName[] } = {
  zone: ['http_requests', 'firewall_events'],
  account: ['audit_logs'],
};
const OPERATORS = FILTER_OPERATORS.map((operator) => `"${operator}"`).join(', ');
const QUOTE = 'Cloudflare accepts filters of "approximately 30 operators and 1000 bytes"';

/** Problems of a section. */
const problemsOf = (raw: unknown) => checkLogpushSettings(raw, CONFIGURED).problems;
/** Problems of one http_requests job. */
const jobProblems = (job: unknown) => problemsOf({ jobs: { http_requests: job } });
/** Problems of an http_requests filter. */
const filterProblems = (filter: unknown) => jobProblems({ filter });
/** A condition. */
const condition = (key: string, operator: string, value: unknown) => ({ key, operator, value });

describe('the logpush section', () => {
  it('is the default when the configuration has none, or an empty one', () => {
    expect(checkLogpushSettings(undefined, CONFIGURED)).toEqual({
      settings: DEFAULT_LOGPUSH_SETTINGS,
      problems: [],
    });
    expect(checkLogpushSettings({}, CONFIGURED)).toEqual({
      settings: { timestampFormat: 'unixnano', jobs: {} },
      problems: [],
    });
  });

  it('must be an object', () => {
    expect(problemsOf('unix')).toEqual(['"logpush" must be an object, got "unix"']);
  });

  it('names an unknown key, suggesting the likely one', () => {
    expect(problemsOf({ timestampformat: 'unix', zzz: 1 })).toEqual([
      '"logpush.timestampformat" is not a setting (did you mean "logpush.timestampFormat"?)',
      '"logpush.zzz" is not a setting',
    ]);
  });

  it.each(TIMESTAMP_FORMATS)('accepts the timestamp format %s', (format) => {
    expect(checkLogpushSettings({ timestampFormat: format }, CONFIGURED)).toEqual({
      settings: { timestampFormat: format, jobs: {} },
      problems: [],
    });
  });

  it('rejects another timestamp format', () => {
    expect(problemsOf({ timestampFormat: 'RFC3339' })).toEqual([
      '"logpush.timestampFormat" must be one of "unixnano", "unix", "rfc3339", "rfc3339ms", "rfc3339ns", got "RFC3339"',
    ]);
  });
});

describe('the upload limits', () => {
  const limits = Object.entries(UPLOAD_LIMITS);

  it.each(limits)('accept %s at its bounds and 0', (name, spec) => {
    for (const value of [spec.min, spec.max, 0]) {
      const { settings, problems } = checkLogpushSettings({ [name]: value }, CONFIGURED);
      expect(problems).toEqual([]);
      expect(settings).toEqual({ timestampFormat: 'unixnano', [name]: value, jobs: {} });
    }
  });

  it.each(limits)('reject %s outside its range, fractional or as text', (name, spec) => {
    for (const value of [spec.min - 1, spec.max + 1, spec.min + 0.5, -1, String(spec.min), null]) {
      expect(problemsOf({ [name]: value })).toEqual([
        `"logpush.${name}" must be 0 (no such limit) or an integer from ${spec.min} to ${spec.max}, got ${JSON.stringify(value)}`,
      ]);
    }
  });

  it('are left out of the settings when not configured', () => {
    expect(checkLogpushSettings({ maxUploadRecords: 5000 }, CONFIGURED).settings).toEqual({
      timestampFormat: 'unixnano',
      maxUploadRecords: 5000,
      jobs: {},
    });
  });
});

describe('the jobs', () => {
  it('must be an object keyed by dataset', () => {
    expect(problemsOf({ jobs: ['http_requests'] })).toEqual([
      '"logpush.jobs" must be an object keyed by dataset name, e.g. {"http_requests": {"sampleRate": 0.5}}, got ["http_requests"]',
    ]);
  });

  it('name a dataset, suggesting the likely one', () => {
    expect(problemsOf({ jobs: { http_request: {}, firewall: {}, nothing_like_it: {} } })).toEqual([
      '"logpush.jobs.http_request" must name a dataset listed under datasets.zone or datasets.account, got "http_request" (did you mean "http_requests"?)',
      '"logpush.jobs.firewall" must name a dataset listed under datasets.zone or datasets.account, got "firewall"',
      '"logpush.jobs.nothing_like_it" must name a dataset listed under datasets.zone or datasets.account, got "nothing_like_it"',
    ]);
  });

  it('name only configured datasets, saying where to list the others', () => {
    expect(
      checkLogpushSettings(
        { jobs: { dns_logs: {}, gateway_dns: {}, firewall_events: {} } },
        { zone: [], account: [] },
      ).problems,
    ).toEqual([
      '"logpush.jobs.dns_logs" names "dns_logs", which is not configured: list it under datasets.zone first',
      '"logpush.jobs.gateway_dns" names "gateway_dns", which is not configured: list it under datasets.account first',
      '"logpush.jobs.firewall_events" names "firewall_events", which is not configured: list it under datasets.zone or datasets.account first',
    ]);
  });

  it('keep the options of zone and account datasets', () => {
    expect(
      checkLogpushSettings(
        { jobs: { audit_logs: { sampleRate: 0.5 }, http_requests: { excludeFields: ['Cookies'] } } },
        CONFIGURED,
      ),
    ).toEqual({
      settings: {
        timestampFormat: 'unixnano',
        jobs: { audit_logs: { sampleRate: 0.5 }, http_requests: { excludeFields: ['Cookies'] } },
      },
      problems: [],
    });
  });

  it('check the options of a dataset that is not configured too', () => {
    expect(checkLogpushSettings({ jobs: { dns_logs: { sampleRate: 0 } } }, CONFIGURED).problems).toEqual([
      '"logpush.jobs.dns_logs.sampleRate" must be a number greater than 0 and at most 1 (the fraction of records pushed), got 0',
      '"logpush.jobs.dns_logs" names "dns_logs", which is not configured: list it under datasets.zone first',
    ]);
  });

  it('are objects of known options', () => {
    expect(jobProblems(true)).toEqual([
      '"logpush.jobs.http_requests" must be an object of fields, excludeFields, filter, sampleRate (each optional), got true',
    ]);
    expect(jobProblems({ sampleRat: 0.5, output_options: {} })).toEqual([
      '"logpush.jobs.http_requests.sampleRat" is not a setting (did you mean "sampleRate"?)',
      '"logpush.jobs.http_requests.output_options" is not a setting',
    ]);
  });
});

describe('fields and excludeFields', () => {
  it.each(['fields', 'excludeFields'])('%s keeps a list of field names in order', (key) => {
    const names = ['RayID', 'ClientIP', 'Client.Field-2_x'];
    expect(
      checkLogpushSettings({ jobs: { http_requests: { [key]: names } } }, CONFIGURED).settings.jobs,
    ).toEqual({ http_requests: { [key]: names } });
  });

  it.each(['fields', 'excludeFields'])('%s must be a non-empty list', (key) => {
    for (const value of [[], 'ClientIP', { ClientIP: true }]) {
      expect(jobProblems({ [key]: value })).toEqual([
        `"logpush.jobs.http_requests.${key}" must be a non-empty list of field names, got ${JSON.stringify(value)}`,
      ]);
    }
  });

  it.each(['fields', 'excludeFields'])('%s names each wrong or repeated entry', (key) => {
    expect(jobProblems({ [key]: ['ClientIP', '1st', 'Client IP', '', 7, 'ClientIP', 'RayID'] })).toEqual([
      `"logpush.jobs.http_requests.${key}[1]" must be a field name (a letter, then letters, digits, _ . or -), got "1st"`,
      `"logpush.jobs.http_requests.${key}[2]" must be a field name (a letter, then letters, digits, _ . or -), got "Client IP"`,
      `"logpush.jobs.http_requests.${key}[3]" must be a field name (a letter, then letters, digits, _ . or -), got ""`,
      `"logpush.jobs.http_requests.${key}[4]" must be a field name (a letter, then letters, digits, _ . or -), got 7`,
      `"logpush.jobs.http_requests.${key}[5]" repeats "ClientIP"`,
    ]);
  });

  it('cannot both be set', () => {
    expect(jobProblems({ fields: ['RayID'], excludeFields: ['Cookies'] })).toEqual([
      '"logpush.jobs.http_requests.excludeFields" cannot be set together with logpush.jobs.http_requests.fields: fields already names exactly the fields pushed',
    ]);
  });
});

describe('sampleRate', () => {
  it.each([1, 0.5, 0.001])('accepts %s', (rate) => {
    expect(jobProblems({ sampleRate: rate })).toEqual([]);
  });

  it.each([0, -0.5, 1.01, 2, '0.5', null])('rejects %j', (rate) => {
    expect(jobProblems({ sampleRate: rate })).toEqual([
      `"logpush.jobs.http_requests.sampleRate" must be a number greater than 0 and at most 1 (the fraction of records pushed), got ${JSON.stringify(rate)}`,
    ]);
  });
});

describe('filter', () => {
  const blocked = {
    where: {
      and: [
        condition('ClientRequestHost', 'eq', 'example.com'),
        { or: [condition('EdgeResponseStatus', 'geq', 500), condition('SecurityAction', 'in', ['block'])] },
      ],
    },
  };
  const filterOf = (filter: unknown) =>
    checkLogpushSettings({ jobs: { http_requests: { filter } } }, CONFIGURED).settings.jobs.http_requests
      ?.filter;

  it('keeps a filter object, nested groups included', () => {
    expect(filterProblems(blocked)).toEqual([]);
    expect(filterOf(blocked)).toEqual(blocked);
  });

  it('parses a filter given as a JSON string, as the API takes it', () => {
    expect(filterProblems(JSON.stringify(blocked))).toEqual([]);
    expect(filterOf(JSON.stringify(blocked))).toEqual(blocked);
  });

  it('names a string that is not JSON', () => {
    expect(filterProblems('{"where": ')).toEqual([
      expect.stringMatching(
        /^"logpush\.jobs\.http_requests\.filter" must be a filter \{"where": <condition or group>\} or a string of its JSON, got a string that is not JSON \(.+\): "\{\\"where\\": "$/,
      ),
    ]);
  });

  it.each([[[{ where: condition('RayID', 'eq', 'x') }]], [5], ['[1]'], ['null']])(
    'must be an object, not %j',
    (filter) => {
      expect(filterProblems(filter)).toEqual([
        `"logpush.jobs.http_requests.filter" must be a filter {"where": <condition or group>} or a string of its JSON, got ${JSON.stringify(filter)}`,
      ]);
    },
  );

  it('needs "where" and nothing else', () => {
    expect(filterProblems({ and: [condition('RayID', 'eq', 'x')] })).toEqual([
      '"logpush.jobs.http_requests.filter.and" is not allowed: a filter holds only "where"',
      '"logpush.jobs.http_requests.filter.where" is required: a filter is {"where": <condition or group>}',
    ]);
  });

  it('is not kept when wrong', () => {
    expect(filterOf({ where: condition('RayID', 'equals', 'x') })).toBeUndefined();
  });

  it('names the full path of a wrong operator deep in a group', () => {
    expect(
      filterProblems({
        where: {
          and: [condition('ClientRequestHost', 'eq', 'example.com'), condition('RayID', 'equals', 'x')],
        },
      }),
    ).toEqual([
      `"logpush.jobs.http_requests.filter.where.and[1].operator" must be one of ${OPERATORS}, got "equals"`,
    ]);
    expect(
      filterProblems({
        where: { or: [{ and: [condition('RayID', 'eq', 'x'), condition('RayID', 'like', 'y')] }] },
      }),
    ).toEqual([
      `"logpush.jobs.http_requests.filter.where.or[0].and[1].operator" must be one of ${OPERATORS}, got "like"`,
    ]);
  });

  it.each(FILTER_OPERATORS)('accepts the operator %s', (operator) => {
    const value = operator === 'in' || operator === '!in' ? ['a', 1] : 'a';
    expect(filterProblems({ where: condition('ClientRequestPath', operator, value) })).toEqual([]);
  });

  it('accepts a string, a number or a boolean for the other operators', () => {
    for (const value of ['x', 0, -1.5, true, false]) {
      expect(filterProblems({ where: condition('CacheTieredFill', 'eq', value) })).toEqual([]);
    }
  });

  it('needs a non-empty list of strings or numbers for in and !in', () => {
    const where = (value: unknown, operator = 'in') => ({ where: condition('Action', operator, value) });
    expect(filterProblems(where('block'))).toEqual([
      '"logpush.jobs.http_requests.filter.where.value" must be a non-empty list of strings or numbers for operator "in", got "block"',
    ]);
    expect(filterProblems(where([], '!in'))).toEqual([
      '"logpush.jobs.http_requests.filter.where.value" must be a non-empty list of strings or numbers for operator "!in", got []',
    ]);
    expect(filterProblems(where(['block', true, null, ['x']]))).toEqual([
      '"logpush.jobs.http_requests.filter.where.value[1]" must be a string or a number, got true',
      '"logpush.jobs.http_requests.filter.where.value[2]" must be a string or a number, got null',
      '"logpush.jobs.http_requests.filter.where.value[3]" must be a string or a number, got ["x"]',
    ]);
  });

  it('needs a single value for the other operators', () => {
    for (const value of [['a'], { a: 1 }, null, undefined]) {
      expect(filterProblems({ where: { key: 'RayID', operator: 'eq', value } })).toEqual([
        `"logpush.jobs.http_requests.filter.where.value" must be a string, number or boolean for operator "eq", got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
      ]);
    }
  });

  it('checks the value of an unknown operator against every form', () => {
    expect(filterProblems({ where: condition('RayID', 'like', { x: 1 }) })).toEqual([
      `"logpush.jobs.http_requests.filter.where.operator" must be one of ${OPERATORS}, got "like"`,
      '"logpush.jobs.http_requests.filter.where.value" must be a string, number or boolean, or a non-empty list of strings or numbers for "in" and "!in", got {"x":1}',
    ]);
    expect(filterProblems({ where: condition('RayID', 'like', ['x']) })).toHaveLength(1);
  });

  it('needs a key, an operator and a value, and nothing else in a condition', () => {
    expect(filterProblems({ where: { Key: 'RayID', vaule: 'x' } })).toEqual([
      '"logpush.jobs.http_requests.filter.where.Key" is not allowed in a condition: a condition holds "key", "operator" and "value" (did you mean "key"?)',
      '"logpush.jobs.http_requests.filter.where.vaule" is not allowed in a condition: a condition holds "key", "operator" and "value" (did you mean "value"?)',
      '"logpush.jobs.http_requests.filter.where.key" must be a field name of the dataset (a non-empty string), got nothing',
      `"logpush.jobs.http_requests.filter.where.operator" must be one of ${OPERATORS}, got nothing`,
      '"logpush.jobs.http_requests.filter.where.value" must be a string, number or boolean, or a non-empty list of strings or numbers for "in" and "!in", got nothing',
    ]);
    expect(filterProblems({ where: condition('', 'eq', 'x') })).toEqual([
      '"logpush.jobs.http_requests.filter.where.key" must be a field name of the dataset (a non-empty string), got ""',
    ]);
  });

  it('needs groups of one non-empty list', () => {
    expect(filterProblems({ where: { and: [] } })).toEqual([
      '"logpush.jobs.http_requests.filter.where.and" must be a non-empty list of conditions or groups, got []',
    ]);
    expect(filterProblems({ where: { or: condition('RayID', 'eq', 'x') } })).toEqual([
      '"logpush.jobs.http_requests.filter.where.or" must be a non-empty list of conditions or groups, got {"key":"RayID","operator":"eq","value":"x"}',
    ]);
    expect(
      filterProblems({
        where: { and: [condition('RayID', 'eq', 'x')], or: [condition('RayID', 'eq', 'y')], key: 'RayID' },
      }),
    ).toEqual([
      '"logpush.jobs.http_requests.filter.where" must hold "and" or "or", not both: nest one group inside the other',
      '"logpush.jobs.http_requests.filter.where.key" is not allowed in a group: a group holds only "and" or "or"',
    ]);
    expect(filterProblems({ where: { and: ['RayID', null] } })).toEqual([
      '"logpush.jobs.http_requests.filter.where.and[0]" must be a condition {"key", "operator", "value"} or a group {"and": [...]} or {"or": [...]}, got "RayID"',
      '"logpush.jobs.http_requests.filter.where.and[1]" must be a condition {"key", "operator", "value"} or a group {"and": [...]} or {"or": [...]}, got null',
    ]);
  });
});

describe('filter limits', () => {
  /** A filter of `count` conditions on one key, split into nested groups so nesting is counted too. */
  const ofConditions = (count: number) => {
    const conditions = Array.from({ length: count }, (_, index) => condition('A', 'eq', index));
    return { where: { or: [{ and: conditions.slice(0, 10) }, { or: conditions.slice(10) }] } };
  };
  /** A one-condition filter of exactly `bytes` bytes of JSON, padded with `padding` characters. */
  const ofBytes = (bytes: number, padding = 'x') => {
    const base = JSON.stringify({ where: condition('A', 'eq', '') });
    const width = new TextEncoder().encode(padding).length;
    return { where: condition('A', 'eq', padding.repeat((bytes - base.length) / width)) };
  };

  it(`refuses more than ${MAX_FILTER_CONDITIONS} conditions, apart from the byte limit`, () => {
    // The shortest condition is 37 bytes of JSON: 30 of them never fit in 1000 bytes, so the byte limit speaks too.
    const tooLong = (bytes: number) =>
      `"logpush.jobs.http_requests.filter" must be at most 1000 bytes as JSON (${QUOTE}), got ${bytes} bytes`;
    const atLimit = ofConditions(MAX_FILTER_CONDITIONS);
    const overLimit = ofConditions(MAX_FILTER_CONDITIONS + 1);
    expect(filterProblems(atLimit)).toEqual([tooLong(JSON.stringify(atLimit).length)]);
    expect(filterProblems(overLimit)).toEqual([
      `"logpush.jobs.http_requests.filter" must hold at most 30 conditions (${QUOTE}), got 31`,
      tooLong(JSON.stringify(overLimit).length),
    ]);
  });

  it(`accepts ${MAX_FILTER_BYTES} bytes of JSON and refuses one more`, () => {
    expect(JSON.stringify(ofBytes(MAX_FILTER_BYTES))).toHaveLength(MAX_FILTER_BYTES);
    expect(filterProblems(ofBytes(MAX_FILTER_BYTES))).toEqual([]);
    expect(filterProblems(ofBytes(MAX_FILTER_BYTES + 1))).toEqual([
      `"logpush.jobs.http_requests.filter" must be at most 1000 bytes as JSON (${QUOTE}), got 1001 bytes`,
    ]);
  });

  it('counts bytes in UTF-8, not characters', () => {
    // 2 bytes per é: 1002 bytes in fewer than 1000 characters.
    const filter = ofBytes(MAX_FILTER_BYTES + 2, 'é');
    expect(JSON.stringify(filter).length).toBeLessThan(MAX_FILTER_BYTES);
    expect(filterProblems(filter)).toEqual([
      `"logpush.jobs.http_requests.filter" must be at most 1000 bytes as JSON (${QUOTE}), got 1002 bytes`,
    ]);
  });

  it('reports both limits, and other problems, together', () => {
    const filter = ofConditions(40);
    (filter.where.or[0]?.and as unknown[])[0] = condition('A', 'eq', 'x'.repeat(1000));
    (filter.where.or[0]?.and as unknown[])[1] = condition('A', 'eq?', 1);
    expect(filterProblems(filter)).toEqual([
      `"logpush.jobs.http_requests.filter.where.or[0].and[1].operator" must be one of ${OPERATORS}, got "eq?"`,
      `"logpush.jobs.http_requests.filter" must hold at most 30 conditions (${QUOTE}), got 40`,
      expect.stringMatching(
        /^"logpush\.jobs\.http_requests\.filter" must be at most 1000 bytes as JSON .*, got \d+ bytes$/,
      ),
    ]);
  });
});

describe('every problem at once', () => {
  it('reports all problems of the section, not just the first', () => {
    const problems = problemsOf({
      timestampFormat: 'iso8601',
      maxUploadBytes: 1,
      jobs: {
        http_requests: { fields: [], sampleRate: 3, filter: { where: condition('RayID', 'eq', []) } },
        firewall_events: 'all',
      },
    });
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      '"logpush.timestampFormat"',
      '"logpush.maxUploadBytes"',
      '"logpush.jobs.http_requests.fields"',
      '"logpush.jobs.http_requests.sampleRate"',
      '"logpush.jobs.http_requests.filter.where.value"',
      '"logpush.jobs.firewall_events"',
    ]);
  });
});
