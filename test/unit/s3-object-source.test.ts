import type { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectSource } from '../../lambdas/adapters/s3-object-source.ts';

function reset(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

/** A client whose first GetObject body breaks after one chunk and whose resume answers as `resume` says. */
function brokenClient(resume: { ContentRange?: string; data: string }) {
  const inputs: GetObjectCommand['input'][] = [];
  const client = {
    send: async (command: GetObjectCommand) => {
      inputs.push(command.input);
      if (inputs.length === 1) {
        return {
          ContentLength: 10,
          ETag: '"e1"',
          Body: (async function* () {
            yield Buffer.from('01234');
            throw reset();
          })(),
        };
      }
      return {
        ContentRange: resume.ContentRange,
        Body: (async function* () {
          yield Buffer.from(resume.data);
        })(),
      };
    },
  } as unknown as S3Client;
  return { client, inputs };
}

async function read(source: S3ObjectSource): Promise<string> {
  const opened = await source.open({ bucket: 'b', key: 'k.log.gz' });
  const parts: Buffer[] = [];
  for await (const chunk of opened.body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

describe('S3ObjectSource resume', () => {
  it('continues with the bytes of a ranged request pinned to the ETag', async () => {
    const { client, inputs } = brokenClient({ ContentRange: 'bytes 5-9/10', data: '56789' });
    expect(await read(new S3ObjectSource(client))).toBe('0123456789');
    expect(inputs[1]).toMatchObject({ Range: 'bytes=5-', IfMatch: '"e1"' });
  });

  it('refuses a resumed answer that does not start where the stream broke', async () => {
    const { client } = brokenClient({ data: '0123456789' });
    await expect(read(new S3ObjectSource(client))).rejects.toThrow(
      /resumed GetObject s3:\/\/b\/k\.log\.gz from byte 5 but got Content-Range \(none\)/,
    );
  });
});
