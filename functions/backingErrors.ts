import { AppError, busyError } from './core/errors';

// gRPC status codes that firebase-admin's Firestore client reports.
const GRPC_UNAVAILABLE = new Set([4, 8, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE
const GRPC_ABORTED = 10; // a transaction lost to contention, five times over

/**
 * Turns anything thrown into an AppError. Backing-service outages become
 * `unavailable` (503) so a PBX can fall back to a plain Dial; anything
 * unknown becomes `internal` with no detail leaked.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === GRPC_ABORTED) return busyError();
  if (typeof code === 'number' && GRPC_UNAVAILABLE.has(code)) {
    return new AppError('unavailable', 'A backing service is unavailable; try again shortly.');
  }
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN)$/.test(code)) {
    return new AppError('unavailable', 'A backing service is unavailable; try again shortly.');
  }
  return new AppError('internal', 'Internal error.');
}
