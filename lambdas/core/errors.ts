/** Typed errors of the core. Each carries `cause` when it wraps another error. */

/** The bytes of an object could not be decoded (corrupt or truncated gzip, an over-long line cut short). */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  /** Lines fully read before the failure. */
  readonly linesRead: number;
  constructor(message: string, linesRead: number, options?: ErrorOptions) {
    super(message, options);
    this.linesRead = linesRead;
  }
}

/** A whole call to the record sink failed. `retryable` tells whether trying again can help. */
export class SinkError extends Error {
  override readonly name = 'SinkError';
  readonly code: string;
  readonly retryable: boolean;
  constructor(message: string, code: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.retryable = retryable;
  }
}

/** Records could not be delivered within the retry budget: the object must be retried (and dead-lettered). */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** How many records of the last batch were still undelivered. */
  readonly undelivered: number;
  constructor(message: string, undelivered: number, options?: ErrorOptions) {
    super(message, options);
    this.undelivered = undelivered;
  }
}

/** A record could not be mapped to ECS; the line is quarantined with this message as its reason. */
export class MappingError extends Error {
  override readonly name = 'MappingError';
}

/** A setting is missing or wrong; the message names the setting and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
