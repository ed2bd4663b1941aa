import type { OutboxRow } from "./outbox-store";

/**
 * Fault injection for tests, keyed by run id: called after each committed step. A hook that
 * throws simulates a crash right after that commit. Empty in production.
 */
export const afterCommitHooks = new Map<string, (stepId: string) => void>();

/** Called after an outbox delivery succeeded and before it is marked delivered (keyed by run id). */
export const afterDeliveryHooks = new Map<string, (row: OutboxRow) => void>();
