/**
 * Wording shared by the configuration checks: a value as a message shows it, and the "did you mean" hint for a
 * misspelt name. No dependencies, so both the CDK app (`lib/config.ts`) and the command line can use it.
 */

/**
 * A value as it appears in a message: JSON, cut short when long. A run of characters that looks like a credential
 * (see {@link looksLikeCredential}) is replaced by its length: a token pasted into the wrong setting must not end up
 * in a terminal, a CI log or a CloudFormation event.
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = (JSON.stringify(value) ?? String(value)).replace(TOKEN_LIKE_RUN, (run) =>
    looksLikeCredential(run) ? `<${run.length} characters not shown: it may be a credential>` : run,
  );
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// Cloudflare API tokens are 40 characters of A-Z a-z 0-9 _ -, Global API keys 37 lower-case hex; account and zone
// ids are 32 hex, so they stay shown.
const TOKEN_LIKE_RUN = /[A-Za-z0-9_-]{37,}/g;

/**
 * Whether a run of 37 or more token characters looks like a credential: mixed-case letters (an API token, most
 * secret keys) or hex only (a Global API key). Bucket and secret names are lower case with words, so they stay.
 */
export function looksLikeCredential(run: string): boolean {
  return (/[a-z]/.test(run) && /[A-Z]/.test(run)) || /^[0-9a-f]+$/.test(run);
}

/**
 * ` (did you mean "x"?)` when a candidate is a likely typo of `name` (case-insensitive edit distance of at most
 * 2, or a quarter of the name's length), else empty. The first of equally close candidates wins.
 */
export function suggestion(name: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4))
    ? ` (did you mean "${best}"?)`
    : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
