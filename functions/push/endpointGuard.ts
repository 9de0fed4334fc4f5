import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { AppError } from '../core/errors';
import { endpointRefusal, isPublicAddress, needsResolving } from '../core/devices/webPushEndpoint';

/**
 * The network half of core/devices/webPushEndpoint.ts: a Web Push endpoint's host name must resolve to
 * public addresses only, checked when it is registered (a clear 400) and again on every
 * connection (the `lookup` the sender connects with), since what a name resolves to can change
 * between the two (DNS rebinding).
 */

/** Resolves every address of a host name (node:dns lookup, as connections do). */
export type Resolve = (host: string) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => {
    const options: LookupAllOptions = { all: true };
    dnsLookup(host, options, (err, addresses) => {
      if (err) reject(err);
      else resolve(addresses);
    });
  });

/** How long registration waits for DNS before answering 503. */
const RESOLVE_TIMEOUT_MS = 3_000;

/** The error a connection to a refused address fails with. */
export class EndpointRefusedError extends Error {
  constructor(host: string) {
    super(`${host} resolves to an address callwake does not push to`);
    this.name = 'EndpointRefusedError';
  }
}

/**
 * A `lookup` for https.request that resolves like the system does and refuses any host with a
 * non-public address among its addresses. `exemptHosts` (the test push service) resolve freely.
 */
export function guardedLookup(
  exemptHosts: readonly string[] = [],
  resolve: Resolve = systemResolve,
): LookupFunction {
  return (host, options, callback) => {
    resolve(host).then(
      (addresses) => {
        if (!exemptHosts.includes(host) && addresses.some((a) => !isPublicAddress(a.address))) {
          callback(new EndpointRefusedError(host), '', 4);
          return;
        }
        const wanted = addresses.filter((a) => !options.family || a.family === options.family);
        if (options.all) {
          (callback as (err: null, addresses: LookupAddress[]) => void)(null, wanted);
          return;
        }
        const first = wanted[0];
        if (!first)
          callback(
            Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' }),
            '',
            4,
          );
        else callback(null, first.address, first.family);
      },
      (err: unknown) => {
        callback(err instanceof Error ? err : new Error(String(err)), '', 4);
      },
    );
  };
}

/**
 * Refuses (400, naming `field`) an endpoint callwake will not push to: by its URL, then by the
 * addresses its host resolves to. A host that does not resolve is refused too; DNS that does
 * not answer in time is an outage (503), not the endpoint's fault.
 */
export async function vetWebPushEndpoint(
  endpoint: string,
  field: string,
  testOrigins: readonly string[] = [],
  resolve: Resolve = systemResolve,
): Promise<void> {
  const refuse = (message: string) =>
    new AppError('invalid_argument', `${field}: ${message}`, { [field]: message });
  const refusal = endpointRefusal(endpoint, testOrigins);
  if (refusal !== null) throw refuse(refusal);
  if (!needsResolving(endpoint, testOrigins)) return;
  const host = new URL(endpoint).hostname;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new AppError('unavailable', 'DNS did not answer in time; try again shortly.'));
    }, RESOLVE_TIMEOUT_MS);
  });
  let addresses: LookupAddress[];
  try {
    addresses = await Promise.race([resolve(host), timeout]);
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA')
      throw refuse('names a host that does not resolve');
    throw new AppError('unavailable', 'DNS did not answer; try again shortly.');
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) throw refuse('names a host that does not resolve');
  if (addresses.some((a) => !isPublicAddress(a.address))) {
    throw refuse('points to a private, loopback or reserved address');
  }
}
