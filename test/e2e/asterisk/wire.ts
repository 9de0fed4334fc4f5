/**
 * What Asterisk's CURL() put on the wire, as the recording proxy received it: no Authorization
 * header, and a body that ends with the signing key id and a signature that callwake's own check
 * accepts for that request (method, path, body), on every path (POST, long-poll, timeout cancel,
 * hangup handler).
 */
import {
  canonicalRequest,
  parseSignedBody,
  signatureMatches,
} from '../../../functions/core/access/pbxSignature';
import { authorizations, header, type Recorded } from '../recordingProxy';
import type { World } from './world';

/** The Asterisk UNIQUEID a request is about: in the path, or the POST's call_id. */
function callOf(r: Recorded): string | undefined {
  const inPath = /^\/v1\/calls\/([^/?]+)/.exec(r.url)?.[1];
  if (inPath) return decodeURIComponent(inPath);
  return new URLSearchParams(r.body).get('call_id') ?? undefined;
}

function kind(r: Recorded): string {
  if (r.method === 'POST' && r.url === '/v1/calls') return 'post';
  if (r.method === 'POST' && r.url.endsWith('/wait')) return 'long-poll';
  if (r.method === 'POST' && r.url.endsWith('/cancel')) {
    return `cancel(${new URLSearchParams(r.body).get('reason') ?? '?'})`;
  }
  return `${r.method} ${r.url}`;
}

export function checkRequests(w: World): void {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const r of w.proxy.requests) {
    const call = callOf(r);
    const what = `${r.method} ${r.url} (call ${call ?? '?'})`;
    counts.set(kind(r), (counts.get(kind(r)) ?? 0) + 1);
    if (call === undefined || !w.calls.has(call)) problems.push(`${what}: for no call of this run`);
    const auth = authorizations(r);
    if (auth.length !== 0) problems.push(`${what}: ${auth.length} Authorization headers`);
    if (r.body.includes(w.tenant.key)) problems.push(`${what}: the API key in the body`);
    const signed = parseSignedBody(r.body);
    if (!signed) {
      problems.push(`${what}: the body ends with no signature`);
    } else {
      const { credential, signedBody } = signed;
      if (credential.keyId !== w.tenant.signingKeyId || credential.alg !== 'sha1') {
        problems.push(`${what}: signed with ${credential.keyId} ${credential.alg}`);
      }
      const canonical = canonicalRequest(r.method, r.url, credential, signedBody);
      if (!signatureMatches(w.tenant.signingSecret, credential, canonical)) {
        problems.push(`${what}: the signature does not match the request`);
      }
      if (Math.abs(credential.ts * 1000 - r.at) > 5_000) {
        problems.push(`${what}: signed at ${credential.ts}, sent at ${r.at}`);
      }
    }
    // What func_curl sends (Asterisk 22.9.0): a form Content-Type on POSTs, and its own
    // User-Agent.
    const type = header(r, 'content-type');
    const wanted = r.method === 'POST' ? ['application/x-www-form-urlencoded'] : [];
    if (type.join() !== wanted.join()) problems.push(`${what}: Content-Type ${type.join(', ')}`);
    const agent = header(r, 'user-agent').join();
    if (agent !== 'asterisk-libcurl-agent/1.0') problems.push(`${what}: User-Agent ${agent}`);
  }
  // No cancel(timeout) is required: callwake ends a call at its deadline itself, and the
  // include sends one only when its own clock runs out before the long-poll answers `missed`.
  for (const k of ['post', 'long-poll', 'cancel(hangup)', 'cancel(answered_elsewhere)']) {
    if (!counts.has(k)) problems.push(`no ${k} request was recorded`);
  }
  const seen = [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
  if (problems.length > 0) throw new Error(`${problems.join('\n     ')}\n     seen: ${seen}`);
  console.log(`[e2e-asterisk]      requests on the wire, each signed: ${seen}`);
}
