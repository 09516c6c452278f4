import { setField } from '../core/ecs.ts';
import { defineMapper } from './mapper.ts';

/**
 * `email_security_post_delivery_events`: Cloudflare Email Security, one line per action taken on a message after
 * it was delivered to a mailbox — moved to junk or trash, deleted, quarantined, released, reclassified — by an
 * administrator, a user or automatic retraction (account-scoped). No field table exists in
 * `../shared/cloudflare/`: this one holds the fields `../shared/cloudflare/INDEX.md` names (RequestedAt,
 * CompletedAt, MessageTimestamp, RequestedBy, Recipient, Operation, Success, FinalDisposition, AlertID), written
 * against Cloudflare's public field reference
 * (developers.cloudflare.com/logs/reference/log-fields/account/email_security_post_delivery_events/) as recalled,
 * not from a saved copy. Less certain: MessageID and Destination (the target folder), and the vocabulary of
 * Operation; any other field is kept under `cloudflare.*`.
 *
 * RequestedAt is `@timestamp` and `event.start`, CompletedAt `event.end` (so `event.duration` is how long the
 * action took); MessageTimestamp is taken as the message's delivery time (`email.delivery_timestamp`).
 * Operation is `event.action`; category email, type deletion when the operation or its destination folder
 * deletes or purges the message, change for other moves (junk, quarantine, release, reclassify…), info for an
 * operation we cannot read. Success true/false → outcome success/failure, unknown without it. RequestedBy is the
 * acting user (`user.email` when it is an address, else `user.name`, e.g. an automatic process), Recipient the
 * mailbox acted upon (`email.to.address` and `user.target.email`). An alert may see several actions, for several
 * recipients: AlertID, Operation, Destination, Recipient and RequestedAt together are the natural key of `event.id`.
 */
export const emailSecurityPostDeliveryEvents = defineMapper({
  dataset: 'email_security_post_delivery_events',
  observerType: 'email',
  category: ['email'],
  type: ['info'],
  idFields: ['AlertID', 'Operation', 'Destination', 'Recipient', 'RequestedAt'],
  // RequestedAt is this dataset's alone among the known ones; the `any` names are its action fields.
  signature: {
    all: ['RequestedAt'],
    any: ['AlertID', 'Operation', 'RequestedBy', 'CompletedAt', 'Recipient'],
  },
  fields: {
    AlertID: { type: 'string' },
    CompletedAt: { type: 'time', to: 'event.end' },
    Destination: { type: 'string' },
    FinalDisposition: { type: 'string' },
    MessageID: { type: 'string', to: 'email.message_id' },
    MessageTimestamp: { type: 'time', to: 'email.delivery_timestamp' },
    // → event.type in refine as well.
    Operation: { type: 'string', to: 'event.action' },
    Recipient: { type: 'string', to: ['email.to.address', 'user.target.email'] },
    RequestedAt: { type: 'time', to: ['@timestamp', 'event.start'] },
    // → user.email or user.name in refine.
    RequestedBy: { type: 'string' },
    // → event.outcome in refine; kept too (ECS has no boolean for it).
    Success: { type: 'bool' },
  },
  derives: ['event.outcome', 'user.email', 'user.name'],
  refine({ values, event, vendor }) {
    setField(
      event,
      'event.outcome',
      typeof values.Success === 'boolean' ? (values.Success ? 'success' : 'failure') : 'unknown',
    );
    setField(event, 'event.type', [operationType(values.Operation, values.Destination)]);
    const by = values.RequestedBy;
    if (typeof by === 'string') {
      setField(event, by.includes('@') ? 'user.email' : 'user.name', by);
      vendor.RequestedBy = undefined;
    }
  },
});

// Words of an Operation or a destination folder (DeletedItems, RecoverableItemsPurges…) that remove the message.
const DELETION = /delet|purge|remov|trash|destroy/i;
// Words of operations that move or re-file it.
const CHANGE = /move|junk|quarantin|releas|reclassif|retract|restor|inbox|spam/i;

/** `event.type` of a post-delivery operation (see the module comment). */
export function operationType(operation: unknown, destination: unknown): string {
  const op = typeof operation === 'string' ? operation : '';
  const to = typeof destination === 'string' ? destination : '';
  if (DELETION.test(op) || DELETION.test(to)) return 'deletion';
  if (CHANGE.test(op) || to !== '') return 'change';
  return 'info';
}
