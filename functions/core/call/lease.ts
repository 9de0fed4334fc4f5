import type { Lease } from '../model';

/**
 * The leases on a call document, pure. Two jobs on a call are done by one run at a time: the
 * fan-out of its incoming pushes (`call.fanOut`) and the cancel job's round being sent (the
 * lease's fields in `call.cancel`). Both take, renew and test a lease here. A lease is held
 * while `now < leaseUntil`; from `leaseUntil` on, another run may take the job over, since the
 * holder's instance may have died.
 */

/** A fresh holder id: which run holds the lease. */
export const leaseHolder = (now: number, random: () => number) =>
  `${now.toString(36)}-${Math.floor(random() * 2 ** 32).toString(36)}`;

/** A lease `holder` takes at `now` for `leaseMs`. */
export const takeLease = (holder: string, now: number, leaseMs: number): Lease => ({
  holder,
  takenAt: now,
  leaseUntil: now + leaseMs,
});

/** A run holds the lease at `now`: nobody else may take the job yet. */
export const leaseHeld = <L extends Partial<Lease>>(
  lease: L | undefined,
  now: number,
): lease is L & Pick<Lease, 'leaseUntil'> => (lease?.leaseUntil ?? 0) > now;

/** The lease is still `holder`'s: nobody took it over since. */
export const heldBy = (lease: Partial<Lease> | undefined, holder: string) =>
  lease?.holder === holder;

/** The holder's lease extended to `now + leaseMs` (never shortened). */
export const renewedLease = (
  lease: Lease,
  now: number,
  leaseMs: number,
): Pick<Lease, 'leaseUntil'> => ({
  leaseUntil: Math.max(lease.leaseUntil, now + leaseMs),
});
