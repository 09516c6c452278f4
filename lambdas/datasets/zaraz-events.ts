import { setField } from '../core/ecs.ts';
import { headerValue } from './headers.ts';
import { defineMapper } from './mapper.ts';

/**
 * `zaraz_events`: one line per event of Zaraz, Cloudflare's edge-side tag manager, on the zone (a request a page
 * made to Zaraz, a request Zaraz made to a third-party tool and its response, an action or e-commerce trigger, a
 * component error), zone-scoped. There is no field table in `../shared/cloudflare/`: this one was written from
 * Cloudflare's public Logpush field reference (datasets/zone/zaraz_events, from memory, not from a saved copy).
 * The names are fairly certain; Body, EventDetails and RequestHeaders are documented as objects but kept with type
 * `any`, so a string there (a raw body) can never quarantine a line.
 *
 * EventType is `event.action`. A component error is an `error` with outcome failure; every other event is `info`
 * without an outcome (ECS leaves event.outcome out of info events that have no success/failure of their own).
 * IP is the visitor's address (`source.ip`), URL the request's (`url.*`), and the User-Agent request header
 * `user_agent.original` (the headers stay whole under cloudflare.RequestHeaders).
 */
export const zarazEvents = defineMapper({
  dataset: 'zaraz_events',
  observerType: 'proxy',
  category: ['web'],
  type: ['info'],
  // TimestampStart is Zaraz's alone; `any` only asks for one of its other fields besides.
  signature: {
    all: ['TimestampStart'],
    any: ['EventType', 'TrackID', 'EventDetails', 'IP', 'URL', 'Body', 'RequestHeaders'],
  },
  fields: {
    Body: { type: 'any' },
    EventDetails: { type: 'any' },
    // → event.type and event.outcome in refine as well.
    EventType: { type: 'string', to: 'event.action' },
    IP: { type: 'string', to: 'source.ip' },
    RequestHeaders: { type: 'any' },
    TimestampStart: { type: 'time', to: '@timestamp' },
    TrackID: { type: 'string' },
    // The engine splits it into url.scheme/domain/port/path/query.
    URL: { type: 'string', to: 'url.original' },
  },
  derives: ['event.outcome', 'user_agent.original'],
  refine({ record, event }) {
    if (typeof record.EventType === 'string' && record.EventType.toLowerCase().includes('error')) {
      setField(event, 'event.type', ['error']);
      setField(event, 'event.outcome', 'failure');
    }
    setField(event, 'user_agent.original', headerValue(record.RequestHeaders, 'user-agent'));
  },
});
