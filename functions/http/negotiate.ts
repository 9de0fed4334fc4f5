import type { ResponseBody, ResponseValue } from './types';

const JSON_TYPE = /application\/(?:[\w.+-]*\+)?json/i;

/** The client names JSON in its Accept header. */
export function wantsJson(accept: string | undefined): boolean {
  return JSON_TYPE.test(accept ?? '');
}

/**
 * Whether to answer JSON: when Accept asks for it; form (`key=value&...`, what Asterisk's
 * hashcompat reads) when Accept asks for a form or plain text; otherwise (no Accept, or only
 * `*\/*`, which libcurl sends) in the request's own format: JSON for a JSON body, a form for a
 * form body or none.
 */
export function answersJson(accept: string | undefined, contentType: string | undefined): boolean {
  if (wantsJson(accept)) return true;
  if (/application\/x-www-form-urlencoded|text\/plain/i.test(accept ?? '')) return false;
  return JSON_TYPE.test(contentType ?? '');
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
  contentType?: string,
): { contentType: string; text: string } {
  return answersJson(accept, contentType)
    ? { contentType: 'application/json; charset=utf-8', text: JSON.stringify(body) }
    : { contentType: 'application/x-www-form-urlencoded; charset=utf-8', text: toHashcompat(body) };
}
