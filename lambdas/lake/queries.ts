/**
 * The saved Athena queries deployed with the stack (named queries in the workgroup) and run by `npm start` on the
 * local lake. One SQL text per query, in Athena's dialect (Trino); the local run translates the few differences
 * (see `scripts/local-query.ts`).
 */

/** A `?` placeholder of a saved query, in order of appearance. */
export interface QueryParameter {
  readonly name: string;
  readonly description: string;
  /** A value to show in the description and to run with locally, as an Athena literal (`'2026-01-01'`, `50`). */
  readonly example: string;
}

/** One saved query. */
export interface SavedQuery {
  /** kebab-case, unique. */
  readonly id: string;
  /** Name shown in the Athena console (at most 128 characters). */
  readonly name: string;
  /** What it answers and how to read it (at most 1,024 characters). */
  readonly description: string;
  /** Athena SQL over the ECS table `ecs` (and raw tables); `?` for each parameter. */
  readonly sql: string;
  readonly parameters: readonly QueryParameter[];
}

/** Every saved query. */
export const SAVED_QUERIES: readonly SavedQuery[] = [];
