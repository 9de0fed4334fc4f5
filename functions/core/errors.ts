/** The one error model: a stable code, its HTTP status and whether a retry may succeed. */
import type { LimitName } from './limits';

export const ERROR_STATUS = {
  invalid_argument: 400,
  /** An RFC 8599 push service callwake does not speak (`webpush`, or one it does not know). */
  unsupported_provider: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  /** A cap is reached (devices, invitations): `limit` names it; remove something first. */
  limit_exceeded: 409,
  /** The push token is registered on a device of another owner (user, or another tenant's PBX). */
  token_in_use: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** A rate or in-flight limit is reached: `limit` names it; retry after `Retry-After`. */
  rate_limited: 429,
  /** Other requests are changing the same thing at this moment: retry after `Retry-After`. */
  busy: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorExtras {
  /** The limit that refused the request (core/limits.ts), for 409 limit_exceeded and 429s. */
  limit?: LimitName;
  /** Seconds after which a retry may succeed (sent as Retry-After). */
  retryAfter?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, string> | undefined;
  readonly limit: LimitName | undefined;
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, string>,
    extras: ErrorExtras = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.limit = extras.limit;
    this.retryAfter = extras.retryAfter;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** The caller may try the same request again later. */
  get retryable(): boolean {
    return this.code === 'unavailable' || this.code === 'rate_limited' || this.code === 'busy';
  }
}

/** A limit reached: 429 rate_limited or 409 limit_exceeded, as the limit says. */
export function limitError(
  limit: LimitName,
  status: 429 | 409,
  message: string,
  retryAfter = 1,
): AppError {
  return status === 429
    ? new AppError('rate_limited', message, undefined, { limit, retryAfter })
    : new AppError('limit_exceeded', message, undefined, { limit });
}

/** Contention: a transaction gave up while others held what it needed. */
export const busyError = () =>
  new AppError(
    'busy',
    'Other requests are changing the same records right now; try again in a second.',
    undefined,
    { retryAfter: 1 },
  );

/** Load: the database answers, but this call waited past its budget behind other work. */
export const slowError = () =>
  new AppError(
    'busy',
    'The database is answering slowly under load right now; try again in a second.',
    undefined,
    { retryAfter: 1 },
  );
