/**
 * What Asterisk's CURL() put on the wire, as the recording proxy received it:
 * one Authorization header per request, of the scheme the call was configured
 * with, on every path (POST, long-poll, timeout cancel, hangup handler).
 */
import { authorizations, header, type Recorded } from './recordingProxy';
import type { World } from './world';

/** The Asterisk UNIQUEID a request is about: in the path, or the POST's call_id. */
function callOf(r: Recorded): string | undefined {
  const inPath = /^\/v1\/calls\/([^/?]+)/.exec(r.url)?.[1];
  if (inPath) return decodeURIComponent(inPath);
  return new URLSearchParams(r.body).get('call_id') ?? undefined;
}

function kind(r: Recorded): string {
  if (r.method === 'POST' && r.url === '/v1/calls') return 'post';
  if (r.method === 'GET' && r.url.includes('?wait=')) return 'long-poll';
  if (r.method === 'POST' && r.url.endsWith('/cancel')) {
    return `cancel(${new URLSearchParams(r.body).get('reason') ?? '?'})`;
  }
  return `${r.method} ${r.url}`;
}

export function checkRequests(w: World): void {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  const bearer = `Bearer ${w.tenant.key}`;
  const basic = `Basic ${Buffer.from(`pbx:${w.tenant.key}`).toString('base64')}`;
  for (const r of w.proxy.requests) {
    const call = callOf(r);
    const mode = call === undefined ? undefined : w.expectedAuth.get(call);
    const what = `${r.method} ${r.url} (call ${call ?? '?'})`;
    counts.set(`${kind(r)} ${mode ?? '?'}`, (counts.get(`${kind(r)} ${mode ?? '?'}`) ?? 0) + 1);
    const auth = authorizations(r);
    if (auth.length !== 1) problems.push(`${what}: ${auth.length} Authorization headers`);
    if (mode === undefined) problems.push(`${what}: a request for no call of this run`);
    else if (auth[0] !== (mode === 'basic' ? basic : bearer)) {
      problems.push(`${what}: Authorization is not the ${mode} key`);
    }
    // What func_curl sends (Asterisk 22.9.0): a form Content-Type on POSTs, none on GETs,
    // and its own User-Agent.
    const type = header(r, 'content-type');
    const wanted = r.method === 'POST' ? ['application/x-www-form-urlencoded'] : [];
    if (type.join() !== wanted.join()) problems.push(`${what}: Content-Type ${type.join(', ')}`);
    const agent = header(r, 'user-agent').join();
    if (agent !== 'asterisk-libcurl-agent/1.0') problems.push(`${what}: User-Agent ${agent}`);
  }
  const needed = ['post bearer', 'post basic', 'long-poll bearer', 'long-poll basic'];
  needed.push('cancel(hangup) bearer', 'cancel(hangup) basic', 'cancel(timeout) bearer');
  for (const k of needed) if (!counts.has(k)) problems.push(`no ${k} request was recorded`);
  const seen = [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
  if (problems.length > 0) throw new Error(`${problems.join('\n     ')}\n     seen: ${seen}`);
  console.log(`[e2e-asterisk]      requests on the wire: ${seen}`);
}
