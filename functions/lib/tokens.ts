import { createHash } from 'node:crypto';

/**
 * Deterministic ClientRequestToken for a create call: the same execution and step always yield the
 * same token, so a retried Lambda (or a Lambda invoked twice) gets the original resource back instead of
 * creating a second one. 43 characters of base64url fit the Chime constraint (2..64 of [-_a-zA-Z0-9]).
 */
export function clientRequestToken(executionId: string, step: string): string {
  return createHash('sha256').update(`${executionId}\u0000${step}`).digest('base64url');
}

/**
 * The execution name for an API caller's Idempotency-Key: hashed, because a key may hold any characters
 * and execution names allow only a few (and stay visible in the console for 90 days).
 */
export function idempotencyName(key: string): string {
  return `key-${createHash('sha256').update(key).digest('base64url')}`;
}
