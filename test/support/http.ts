import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BASE_URL } from './emulator';
import { retriedByClients, retrying } from './retry';
import { signedAuthorization, type Signer } from './signing';

const execFileAsync = promisify(execFile);

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or as hashcompat key=value pairs. */
  fields: Record<string, unknown>;
}

/** Reads `k1=v1&k2=v2` the way Asterisk's CURLOPT(hashcompat)=yes does: split, then URI-decode. */
export function parseHashcompat(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const piece of text.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    const key = eq >= 0 ? piece.slice(0, eq) : piece;
    const value = eq >= 0 ? piece.slice(eq + 1) : '';
    fields[decodeURIComponent(key)] = decodeURIComponent(value);
  }
  return fields;
}

export interface CallOptions {
  key?: string;
  /** Sign the request as a PBX does (test/support/signing.ts) instead of sending a key. */
  signer?: Signer;
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
  json_response?: boolean;
}

/** One request to the API over real HTTP. */
export async function api(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.Authorization = `Bearer ${options.key}`;
  if (options.json_response !== false && !('Accept' in headers))
    headers.Accept = 'application/json';
  let body: string | undefined;
  if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['Content-Type'] ??= 'application/json';
  }
  if (options.signer) {
    headers.Authorization = signedAuthorization(options.signer, method, path, body ?? '');
  }
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  return {
    status: res.status,
    headers: res.headers,
    text,
    fields: isJson ? (JSON.parse(text) as Record<string, unknown>) : parseHashcompat(text),
  };
}

/**
 * A request as a PBX that retries what the API says to retry makes it (a SIP retransmission,
 * Kamailio's retry): see retriedByClients. The answer to the retry is the one that counts.
 * `retried` says whether it took more than one.
 */
export async function retrying503(
  send: () => Promise<Reply>,
  tries = 5,
): Promise<Reply & { retried: boolean }> {
  const { reply, retried } = await retrying(
    send,
    (r) => retriedByClients(r.status, r.fields.error),
    tries,
  );
  return { ...reply, retried };
}

/**
 * Runs the `curl` command line with the given arguments against the API and
 * returns status and body: libcurl, as Asterisk's CURL() uses it (its
 * User-Agent too). What Asterisk itself sends is shown by the real-Asterisk
 * run (test/e2e/asterisk).
 */
export async function curl(
  path: string,
  args: string[],
): Promise<{ status: number; text: string; headers: string }> {
  const { stdout } = await execFileAsync(
    'curl',
    ['-sS', '-i', '-A', 'asterisk-libcurl-agent/1.0', ...args, `${BASE_URL}${path}`],
    { maxBuffer: 1 << 20 },
  );
  // -i prints the status line and headers, a blank line, then the body.
  const split = stdout.indexOf('\r\n\r\n');
  const headers = stdout.slice(0, split);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(headers)?.[1]);
  return { status, headers, text: stdout.slice(split + 4) };
}
