/** The one error model: a stable code, its HTTP status and whether a retry may succeed. */

export const ERROR_STATUS = {
  invalid_argument: 400,
  /** An RFC 8599 push service callwake does not speak (`webpush`, or one it does not know). */
  unsupported_provider: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, string>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The caller may try the same request again later. */
  get retryable(): boolean {
    return this.code === 'unavailable' || this.code === 'rate_limited';
  }
}

// gRPC status codes that firebase-admin's Firestore client reports.
const GRPC_UNAVAILABLE = new Set([4, 8, 10, 14]); // DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE

/**
 * Turns anything thrown into an AppError. Backing-service outages become
 * `unavailable` (503) so a PBX can fall back to a plain Dial; anything
 * unknown becomes `internal` with no detail leaked.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && GRPC_UNAVAILABLE.has(code)) {
    return new AppError('unavailable', 'A backing service is unavailable; try again shortly.');
  }
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN)$/.test(code)) {
    return new AppError('unavailable', 'A backing service is unavailable; try again shortly.');
  }
  return new AppError('internal', 'Internal error.');
}
