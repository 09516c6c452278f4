import { setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `ssh_logs`: one line per program (shell, exec, sftp, port forward…) run in an SSH session proxied by Cloudflare
 * Access for Infrastructure, with the session's and the program's start and end (account-scoped).
 * There is no `../shared/cloudflare/ssh_logs.md`: the field table was written from Cloudflare's public Logpush
 * field reference (developers.cloudflare.com/logs/reference/log-fields/account/ssh_logs/), not from a saved copy.
 * Less certain: AccountID and TargetID.
 *
 * Datetime is `@timestamp`; SessionStart/FinishDatetime are `event.start`/`event.end` (so `event.duration`),
 * ProgramStart/FinishDatetime `process.start`/`process.end`. Category session (plus process when the line names a
 * program), type info, observer proxy, network.protocol ssh over tcp. ClientAddress/Port → source, ServerAddress/
 * Port → destination. UserEmail/UserID are the Access identity (`user.*`); Username is the account on the server
 * the session logs in as, so `user.effective.name`: ECS's "user the event executes as" (the identity acting through
 * another account, as with sudo), not `user.target`, which ECS keeps for the object of user management.
 * Outcome: an Error → failure (and `error.message`); otherwise a program or session that finished (a finish time)
 * → success; else unknown (still running, or the job leaves Error out). ProgramType is `event.action`.
 */
export const sshLogs = defineMapper({
  dataset: 'ssh_logs',
  observerType: 'proxy',
  category: ['session'],
  type: ['info'],
  // A session runs several programs; Datetime guards against a program logged more than once (start, end).
  idFields: ['SessionID', 'ProgramID', 'Datetime'],
  // Datetime is shared by firewall_events, gateway_*, dlp_forensic_copies and mcp_portal_logs; SessionID is in
  // gateway_http/network too, so it is not here.
  signature: {
    all: ['Datetime'],
    any: [
      'ProgramID',
      'ProgramType',
      'SessionStartDatetime',
      'SessionFinishDatetime',
      'ProgramStartDatetime',
      'ProgramFinishDatetime',
      'ClientAddress',
      'ServerAddress',
    ],
  },
  fields: {
    AccountID: { type: 'string', to: 'cloud.account.id' },
    ClientAddress: { type: 'string', to: 'source.ip' },
    ClientPort: { type: 'int', to: 'source.port' },
    Datetime: { type: 'time', to: '@timestamp' },
    // → event.outcome in refine as well.
    Error: { type: 'string', to: 'error.message' },
    ProgramFinishDatetime: { type: 'time', to: 'process.end' },
    ProgramID: { type: 'string' },
    ProgramStartDatetime: { type: 'time', to: 'process.start' },
    ProgramType: { type: 'string', to: 'event.action' },
    ServerAddress: { type: 'string', to: 'destination.ip' },
    ServerPort: { type: 'int', to: 'destination.port' },
    SessionFinishDatetime: { type: 'time', to: 'event.end' },
    SessionID: { type: 'string' },
    SessionStartDatetime: { type: 'time', to: 'event.start' },
    TargetID: { type: 'string' },
    UserEmail: { type: 'string', to: 'user.email' },
    UserID: { type: 'string', to: 'user.id' },
    // → related.user in refine too (the engine does not collect user.effective.*).
    Username: { type: 'string', to: 'user.effective.name' },
  },
  derives: ['event.outcome', 'network.protocol', 'network.transport', 'related.user'],
  refine({ values, event }) {
    setField(event, 'network.protocol', 'ssh');
    setField(event, 'network.transport', 'tcp');
    if (values.ProgramID !== undefined || values.ProgramType !== undefined) {
      setField(event, 'event.category', ['session', 'process']);
    }
    if (typeof values.Username === 'string') setField(event, 'related.user', [values.Username]);
    const finished = values.ProgramFinishDatetime !== undefined || values.SessionFinishDatetime !== undefined;
    setField(
      event,
      'event.outcome',
      values.Error !== undefined ? 'failure' : finished ? 'success' : 'unknown',
    );
  },
});
