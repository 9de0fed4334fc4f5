import { BlockList, isIP } from 'node:net';

/**
 * Where a Web Push endpoint may point. The endpoint is a URL the browser (or a SIP phone, or
 * whoever holds a member's ID token) hands us, and callwake POSTs to it on every call: a URL
 * into the deployment's own network would make callwake a way in (SSRF). So an endpoint must be
 * https on the default port of a public host. A host name is checked again by what it resolves
 * to, at registration and at every send (push/endpointGuard.ts), so a name that later resolves
 * to a private address (DNS rebinding) is refused too.
 */

/** Address ranges that are not the public internet (IANA special-purpose registries). */
const SPECIAL_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link local (cloud metadata servers live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];
/**
 * Special-purpose ranges inside the IPv6 global unicast space (2000::/3, below). Everything
 * outside it is refused anyway: unspecified, loopback, discard (100::/64), local-use NAT64
 * (64:ff9b:1::/48), segment routing (5f00::/16), unique and link local, site local, multicast.
 * The IPv4 forms (mapped, compatible, NAT64 64:ff9b::/96, 6to4) are judged by their IPv4 address.
 */
const SPECIAL_V6: [string, number][] = [
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
];

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of SPECIAL_V4) NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of SPECIAL_V6) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
/** The IPv6 global unicast space (IANA's IPv6 address space registry): the rest is not routed. */
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  // (parseInt reads hex digits in either case.)
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parts = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** An IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), or undefined. */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const [g0 = 0, g1 = 0, g2 = 0, g5 = 0, g6 = 0, g7 = 0] = [g[0], g[1], g[2], g[5], g[6], g[7]];
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(5) && (g5 === 0xffff || g5 === 0)) return v4(g6, g7); // ::ffff:a.b.c.d, ::a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g6, g7);
  if (g0 === 0x2002) return v4(g1, g2); // 6to4
  return undefined;
}

/** Whether `address` (an IP literal) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const carried = embeddedIpv4(address);
  if (carried !== undefined) return isPublicAddress(carried);
  return GLOBAL_UNICAST.check(address, 'ipv6') && !NOT_PUBLIC.check(address, 'ipv6');
}

/** Host names that only ever mean a local or internal host. */
const LOCAL_NAME = /(^|\.)(localhost|local|localdomain|internal|intranet|lan|home\.arpa)\.?$/i;

/**
 * Why callwake will not push to `endpoint`, judged by the URL alone, or null. Origins in
 * `testOrigins` (the local stack's test push service) are exempt. A host name that passes
 * still has to resolve to public addresses only (push/endpointGuard.ts).
 */
export function endpointRefusal(
  endpoint: string,
  testOrigins: readonly string[] = [],
): string | null {
  if (!URL.canParse(endpoint)) return 'must be a URL';
  const url = new URL(endpoint);
  if (testOrigins.includes(url.origin)) return null;
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.port !== '') return 'must use the https port (443), as push services do';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) {
    return isPublicAddress(host) ? null : 'points to a private, loopback or reserved address';
  }
  if (!host.includes('.') || LOCAL_NAME.test(host)) return 'must name a public host';
  return null;
}

/** Whether `endpoint`'s host needs resolving before callwake may trust it (a name, not exempt). */
export function needsResolving(endpoint: string, testOrigins: readonly string[] = []): boolean {
  const url = new URL(endpoint);
  return !testOrigins.includes(url.origin) && isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0;
}
