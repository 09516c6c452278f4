import { PassThrough } from 'node:stream';

/** A writable stream that keeps what is written, for a command's standard output or error in tests. */
export function captureStream(): { readonly stream: PassThrough; readonly text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
