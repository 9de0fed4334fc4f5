/**
 * What a reader of a PBX's logs could do as the tenant, checked after a real run (Asterisk,
 * Kamailio): nothing the PBX logged is, or holds, its API key or signing secret (whole, either
 * half, base64-encoded) or any credential at all; and every request the PBX sent, replayed
 * exactly as a reader who had captured it would, is refused, as is its credential on any other
 * request.
 */
import { authorizations, type Recorded } from './recordingProxy';

export interface PbxSecrets {
  apiKey: string;
  signingSecret: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Each form in which a secret or a credential could appear in `log`, with what it is. */
export function leaksIn(log: string, secrets: PbxSecrets): string[] {
  const found: string[] = [];
  const literal: [string, string][] = [
    ['the API key', secrets.apiKey],
    ['the API key, base64', b64(secrets.apiKey)],
    ['the signing secret', secrets.signingSecret],
    ['its first half (kIn)', secrets.signingSecret.slice(0, 64)],
    ['its second half (kOut)', secrets.signingSecret.slice(64)],
    ['the signing secret, base64', b64(secrets.signingSecret)],
  ];
  for (const [what, value] of literal) if (log.includes(value)) found.push(what);
  const patterns: [string, RegExp][] = [
    ['an API key (cwk_...)', /cwk_[A-Za-z0-9_-]{20,}/],
    ['a bearer credential', /Bearer\s+\S{16,}/i],
    ['an HTTP Basic credential', /Basic\s+[A-Za-z0-9+/=]{16,}/i],
    ['a request signature (v1.<alg>...)', /v1\.sha(?:1|256)\.\d+\.[A-Za-z0-9]+\.[0-9a-f]{40}/],
    ['a signed body (cw_auth=)', /cw_auth=/],
    ['128 hex digits (a signing secret)', /[0-9a-f]{128}/],
  ];
  for (const [what, pattern] of patterns) if (pattern.test(log)) found.push(what);
  return found;
}

export interface Replays {
  /** Requests that reached callwake, each sent again exactly as recorded. */
  replayed: number;
  /** Each credential moved onto another request (another path and body). */
  moved: number;
  /** Requests that never reached callwake (an outage the run staged), not replayed. */
  undelivered: number;
  problems: string[];
}

const sendable = (r: Recorded) =>
  Object.fromEntries(
    r.headers.filter(([name]) =>
      ['authorization', 'content-type', 'accept'].includes(name.toLowerCase()),
    ),
  );

/**
 * Sends every request the PBX sent to callwake again, byte for byte (a reader who captured it),
 * and each credential on another request; every one must be refused with 401. A request that
 * never reached callwake is counted apart: its credential was never logged (leaksIn checks),
 * so a log reader has nothing to replay it with.
 */
export async function replayAll(requests: Recorded[], baseUrl: string): Promise<Replays> {
  const result: Replays = { replayed: 0, moved: 0, undelivered: 0, problems: [] };
  for (const r of requests) {
    if (!r.forwarded) {
      result.undelivered += 1;
      continue;
    }
    const what = `${r.method} ${r.url}`;
    const again = await fetch(`${baseUrl}${r.url}`, {
      method: r.method,
      headers: sendable(r),
      ...(r.method === 'GET' ? {} : { body: r.body }),
    });
    result.replayed += 1;
    if (again.status !== 401) {
      result.problems.push(`${what} replayed: ${again.status} ${await again.text()}`);
    }
    // The same credential on another request: another path, and for a body credential, another
    // body before it.
    const inBody = /(?:^|&)(cw_key=[^&]+&cw_auth=[^&]+)$/.exec(r.body)?.[1];
    const auth = authorizations(r)[0];
    const moved = await fetch(`${baseUrl}/v1/calls`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        ...(auth ? { Authorization: auth } : {}),
      },
      body: `call_id=replayed-${String(r.at)}&to=1001${inBody ? `&${inBody}` : ''}`,
    });
    result.moved += 1;
    if (moved.status !== 401) {
      result.problems.push(`${what}'s credential moved: ${moved.status} ${await moved.text()}`);
    }
  }
  return result;
}
