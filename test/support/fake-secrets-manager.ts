/**
 * A local fake of the AWS Secrets Manager API (AWS JSON 1.1) for tests that drive the real
 * `@aws-sdk/client-secrets-manager` against `127.0.0.1`. Only `GetSecretValue` is implemented; anything else
 * answers an `UnknownOperationException`. Secrets are looked up by name or by ARN. Never talks to AWS.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import {
  assertLoopbackEndpoint,
  FAKE_AWS_CREDENTIALS,
  FAKE_AWS_REGION,
  FAKE_REQUEST_HANDLER_OPTIONS,
} from './aws-clients.ts';
import { listenOnLoopback } from './loopback-server.ts';

/** One request the fake received. */
export interface SecretsRequestLog {
  /** `X-Amz-Target` without the service prefix, e.g. `GetSecretValue`. */
  readonly operation: string;
  readonly secretId: string | undefined;
  status: number | undefined;
}

/** A running fake Secrets Manager. */
export interface FakeSecretsManager {
  readonly endpoint: string;
  readonly requests: SecretsRequestLog[];
  /** Sets (or replaces) a secret's string value; `undefined` leaves it with no string value (a binary secret). */
  setSecret(name: string, value: string | undefined): void;
  deleteSecret(name: string): void;
  /** The next `times` requests answer this error (`__type` and HTTP status). */
  failNext(error: { readonly type: string; readonly status: number }, times?: number): void;
  close(): Promise<void>;
}

const ARN_PREFIX = `arn:aws:secretsmanager:${FAKE_AWS_REGION}:123456789012:secret:`;

/** Starts a fake Secrets Manager on 127.0.0.1. */
export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, string | undefined>();
  const requests: SecretsRequestLog[] = [];
  const failures: { type: string; status: number }[] = [];

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const server = createServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^secretsmanager\./, '');
      let input: { SecretId?: string } = {};
      try {
        input = JSON.parse((await readBody(req)) || '{}') as { SecretId?: string };
      } catch {
        input = {};
      }
      const log: SecretsRequestLog = { operation, secretId: input.SecretId, status: undefined };
      requests.push(log);
      const send = (status: number, body: unknown) => {
        log.status = status;
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fake' });
        res.end(JSON.stringify(body));
      };
      const failure = failures.shift();
      if (failure) {
        send(failure.status, { __type: failure.type, message: `injected ${failure.type}` });
        return;
      }
      if (operation !== 'GetSecretValue') {
        send(400, { __type: 'UnknownOperationException', message: `fake does not implement ${operation}` });
        return;
      }
      const id = input.SecretId ?? '';
      const name = id.startsWith(ARN_PREFIX)
        ? id.slice(ARN_PREFIX.length).replace(/-[A-Za-z0-9]{6}$/, '')
        : id;
      if (!secrets.has(name)) {
        send(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      const value = secrets.get(name);
      send(200, {
        ARN: `${ARN_PREFIX}${name}-AbCdEf`,
        Name: name,
        VersionId: '00000000-0000-0000-0000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_764_000_000,
        ...(value === undefined
          ? { SecretBinary: Buffer.from([1, 2, 3]).toString('base64') }
          : { SecretString: value }),
      });
    })().catch(() => {
      res.socket?.destroy();
    });
  });
  const loopback = await listenOnLoopback(server);
  return {
    endpoint: loopback.endpoint,
    requests,
    setSecret: (name, value) => {
      secrets.set(name, value);
    },
    deleteSecret: (name) => {
      secrets.delete(name);
    },
    failNext: (error, times = 1) => {
      for (let i = 0; i < times; i++) failures.push({ ...error });
    },
    close: () => loopback.close(),
  };
}

/** A `SecretsManagerClient` for the fake: loopback only, fake credentials, `maxAttempts: 1`. */
export function fakeSecretsManagerClient(
  target: { readonly endpoint: string },
  overrides: SecretsManagerClientConfig = {},
): SecretsManagerClient {
  assertLoopbackEndpoint(target.endpoint);
  return new SecretsManagerClient({
    region: FAKE_AWS_REGION,
    credentials: { ...FAKE_AWS_CREDENTIALS },
    maxAttempts: 1,
    requestHandler: { ...FAKE_REQUEST_HANDLER_OPTIONS },
    ...overrides,
    endpoint: target.endpoint,
  });
}
