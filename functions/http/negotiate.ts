import type { ResponseBody, ResponseValue } from './types';

/** JSON for clients that ask for it; everything else gets what Asterisk's hashcompat reads. */
export function wantsJson(accept: string | undefined): boolean {
  return /application\/(?:[\w.+-]*\+)?json/i.test(accept ?? '');
}

function flatten(prefix: string, value: ResponseValue, out: [string, string][]): void {
  if (value === undefined) return;
  if (value === null) {
    out.push([prefix, '']);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      flatten(`${prefix}.${index}`, item, out);
    });
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      flatten(prefix ? `${prefix}.${key}` : key, item, out);
  } else {
    out.push([prefix, String(value)]);
  }
}

/**
 * `k1=v1&k2=v2`, percent-encoded (spaces as %20, which every URI decoder
 * reads, not '+'). Nested values get dotted keys: `devices.0.device_id`.
 */
export function toHashcompat(body: ResponseBody): string {
  const pairs: [string, string][] = [];
  flatten('', body, pairs);
  return pairs
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

export function renderBody(
  body: ResponseBody,
  accept: string | undefined,
): { contentType: string; text: string } {
  return wantsJson(accept)
    ? { contentType: 'application/json; charset=utf-8', text: JSON.stringify(body) }
    : { contentType: 'application/x-www-form-urlencoded; charset=utf-8', text: toHashcompat(body) };
}
