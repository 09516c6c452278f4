import { getField, setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `access_requests`: Cloudflare Access authentication events (login/logout), account-scoped.
 * Fields: `../shared/cloudflare/access_requests.md`. The Access logs API (`/access/logs/access_requests`) gives the
 * same events in snake_case; its poller converts them to these names and reuses this mapper.
 */
export const accessRequests = defineMapper({
  dataset: 'access_requests',
  observerType: 'proxy',
  category: ['authentication', 'network'],
  type: ['info'],
  // RayID identifies the login request; email and app make the key safe against a reused ray.
  idFields: ['RayID', 'Email', 'AppUUID'],
  signature: { all: ['CreatedAt'], any: ['AppUUID', 'AppDomain', 'Allowed', 'Connection', 'UserUID'] },
  fields: {
    Action: { type: 'string', to: 'event.action' },
    Allowed: { type: 'bool' },
    AppDomain: { type: 'string' },
    AppUUID: { type: 'string' },
    Connection: { type: 'string' },
    Country: { type: 'string', to: 'source.geo.country_iso_code' },
    CreatedAt: { type: 'time', to: '@timestamp' },
    Email: { type: 'string', to: 'user.email' },
    IPAddress: { type: 'string', to: ['source.ip', 'client.ip'] },
    PurposeJustificationPrompt: { type: 'string' },
    PurposeJustificationResponse: { type: 'string' },
    RayID: { type: 'string' },
    TemporaryAccessApprovers: { type: 'string[]' },
    TemporaryAccessDuration: { type: 'int' },
    UserUID: { type: 'string', to: 'user.id' },
  },
  derives: ['event.outcome', 'url.domain', 'url.path'],
  refine({ record, values, event }) {
    const allowed = values.Allowed;
    setField(
      event,
      'event.outcome',
      typeof allowed === 'boolean' ? (allowed ? 'success' : 'failure') : 'unknown',
    );
    const action = getField(event, 'event.action');
    // SEKOIA's choice: login/logout are the start/end of a session; a denied login is a denied connection.
    if (allowed === false) setField(event, 'event.type', ['connection', 'denied']);
    else if (action === 'login') setField(event, 'event.type', ['connection', 'start']);
    else if (action === 'logout') setField(event, 'event.type', ['connection', 'end']);

    // AppDomain may carry a path (`team.cloudflareaccess.com/cdn-cgi/access/sso/...`): ECS url.domain is the
    // host alone, the rest is the path.
    if (typeof record.AppDomain === 'string' && record.AppDomain !== '') {
      const slash = record.AppDomain.indexOf('/');
      setField(event, 'url.domain', slash < 0 ? record.AppDomain : record.AppDomain.slice(0, slash));
      if (slash >= 0) setField(event, 'url.path', record.AppDomain.slice(slash));
    }
  },
});
