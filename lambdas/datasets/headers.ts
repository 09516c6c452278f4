/**
 * The value of HTTP header `name` in a headers object as Cloudflare logs them (RequestHeaders, a DLP copy's Headers,
 * a Workers trace's request.headers): the name matched without regard to case, a list giving its first value.
 * Undefined when the object, the header or a string value is missing.
 */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : undefined;
  }
  return undefined;
}
