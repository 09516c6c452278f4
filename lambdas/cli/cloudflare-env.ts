/** The Cloudflare settings the command lines read from the environment. */
import type { CloudflareCredential } from '../poll/types.ts';

/**
 * The credential in `CLOUDFLARE_API_TOKEN`, else in `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY` (the legacy global
 * key); undefined when none is set; a problem (string) when only half of the key pair is.
 */
export function environmentCredential(
  env: Readonly<Record<string, string | undefined>>,
): CloudflareCredential | string | undefined {
  const apiToken = env.CLOUDFLARE_API_TOKEN;
  if (apiToken) return { kind: 'token', apiToken };
  const email = env.CLOUDFLARE_EMAIL;
  const apiKey = env.CLOUDFLARE_API_KEY;
  if (email && apiKey) return { kind: 'key', email, apiKey };
  if (email || apiKey) {
    return `CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY go together; ${email ? 'CLOUDFLARE_API_KEY' : 'CLOUDFLARE_EMAIL'} is not set`;
  }
  return undefined;
}
