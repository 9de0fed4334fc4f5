/**
 * Every limit callwake holds against a noisy or hostile client, in one table: its number, what
 * it counts, where it is counted, and what a client meets when it is reached. docs/security.md
 * lists the same table (a unit test keeps the two in step); a tenant's document may lower or
 * raise the per-tenant ones (`limits.<name>`).
 */

export type LimitName =
  | 'calls_per_second'
  | 'calls_in_flight'
  | 'calls_per_extension_per_minute'
  | 'long_polls'
  | 'app_devices_per_extension'
  | 'pbx_devices_per_extension'
  | 'devices_per_user'
  | 'pending_invitations_per_extension'
  | 'pairing_attempts'
  | 'unknown_key_lookups';

export interface LimitSpec {
  /** The default number. */
  value: number;
  /** Where it is counted: across every instance (Firestore), or in each instance's memory. */
  scope: 'deployment' | 'instance';
  /** What a client gets past it: 429 rate_limited (wait), or 409 limit_exceeded (remove something). */
  status: 429 | 409;
  /** Whether a tenant's document may set its own number. */
  perTenant: boolean;
  /** The most a tenant's document may set (the ring path's call record must stay small). */
  max?: number;
}

export const LIMITS: Record<LimitName, LimitSpec> = {
  // New calls of one tenant in the last second (every extension together).
  calls_per_second: { value: 10, scope: 'deployment', status: 429, perTenant: true },
  // Calls of one tenant ringing at once.
  calls_in_flight: { value: 100, scope: 'deployment', status: 429, perTenant: true },
  // New calls to one extension in the last minute (CALLS_PER_EXTENSION_PER_MINUTE).
  calls_per_extension_per_minute: { value: 30, scope: 'instance', status: 429, perTenant: false },
  // GET /v1/calls/{id}?wait=N requests one tenant holds open at once.
  long_polls: { value: 200, scope: 'deployment', status: 429, perTenant: true },
  // Devices app users registered on one extension; the PBX's have their own budget.
  app_devices_per_extension: {
    value: 20,
    scope: 'deployment',
    status: 409,
    perTenant: true,
    max: 200,
  },
  // Devices the PBX registered on one extension.
  pbx_devices_per_extension: {
    value: 20,
    scope: 'deployment',
    status: 409,
    perTenant: true,
    max: 200,
  },
  // Devices one app user registered in one tenant, over all its extensions.
  devices_per_user: { value: 10, scope: 'deployment', status: 409, perTenant: true },
  // Invitations of one extension waiting for their users (PUT .../members/{uid}).
  pending_invitations_per_extension: {
    value: 50,
    scope: 'deployment',
    status: 409,
    perTenant: true,
  },
  // Wrong pairing codes one user may send in 10 minutes (its own count: no one else's).
  pairing_attempts: { value: 5, scope: 'deployment', status: 429, perTenant: false },
  // Database look-ups of API keys or signing keys this instance has never seen valid, per
  // second (bursts of twice as many): a spray of random keys costs no read past them.
  unknown_key_lookups: { value: 10, scope: 'instance', status: 429, perTenant: false },
};

/** A tenant's own numbers for some limits, from its document. */
export type TenantLimits = Partial<Record<LimitName, number>>;

/** The number that holds for `tenant` (its own where it may set one, else the default). */
export function limitFor(name: LimitName, tenant?: { limits?: TenantLimits }): number {
  const own = tenant?.limits?.[name];
  const spec = LIMITS[name];
  if (!spec.perTenant || typeof own !== 'number' || !Number.isInteger(own) || own < 0) {
    return spec.value;
  }
  return Math.min(own, spec.max ?? Number.MAX_SAFE_INTEGER);
}

/** How long a PBX's invitation waits for its user's answer. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
