/**
 * Fault injection for tests, keyed by run id: called after each committed step. A hook that
 * throws simulates a crash right after that commit. Empty in production.
 */
export const afterCommitHooks = new Map<string, (stepId: string) => void>();
