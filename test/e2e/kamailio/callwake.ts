/** callwake's API on the emulators, as the Kamailio runs call it: a form body, JSON back. */
import assert from 'node:assert/strict';
import { BASE_URL, type TestTenant } from '../../support/emulator';
import { retriedByClients, retrying } from '../../support/retry';
import type { TestApp } from '../../support/app';
import { eventually } from './eventually';

/** A device as the API lists it (what the runs read of it). */
export interface DeviceView {
  device_id?: string;
  platform?: string;
  fcm_token?: string;
  voip_token?: string;
  apns_env?: string;
  app_id?: string;
  webpush_payload?: boolean;
  webpush_endpoint?: string;
}

/** The fields of the API's JSON answers the runs read. */
export interface ApiJson {
  status?: string;
  outcome?: string;
  answered_by?: string;
  end_reason?: string;
  error?: string;
  public_key?: string;
  count?: number;
  devices?: DeviceView[];
}

export interface ApiReply {
  status: number;
  json: ApiJson;
  text: string;
}

/** One request to callwake's API. */
export async function api(
  method: string,
  path: string,
  { bearer, form }: { bearer?: string; form?: Record<string, string> } = {},
): Promise<ApiReply> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init: RequestInit = { method, headers, signal: AbortSignal.timeout(15_000) };
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  const res = await fetch(`${BASE_URL}${path}`, init);
  const text = await res.text();
  let json: ApiJson = {};
  try {
    json = JSON.parse(text) as ApiJson;
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, json, text };
}

/**
 * `api` for the runs' own setup: retried as a PBX retries (retriedByClients), at most 5 times a
 * second apart. The scenarios' requests under test go through `api` alone.
 */
export async function setupApi(
  method: string,
  path: string,
  options?: Parameters<typeof api>[2],
): Promise<ApiReply> {
  const again = (reply: ApiReply) => retriedByClients(reply.status, reply.json.error);
  return (await retrying(() => api(method, path, options), again, 5)).reply;
}

/** The PBX invites the app's user to `extension`, and the app accepts (the user's consent). */
export async function makeMember(
  tenant: TestTenant,
  extension: string,
  app: TestApp,
): Promise<void> {
  const invited = await setupApi('PUT', `/v1/extensions/${extension}/members/${app.uid}`, {
    bearer: tenant.key,
  });
  assert(invited.status === 202, `invite: ${invited.status} ${invited.text}`);
  const accepted = await setupApi('POST', '/v1/app/invitations/accept', {
    bearer: await app.idToken(),
    form: { tenant: tenant.id, extension },
  });
  assert(accepted.status === 200, `accept: ${accepted.status} ${accepted.text}`);
}

/** Waits until callwake answers (the functions are loaded, no cold start in the timings). */
export async function callwakeUp(): Promise<void> {
  await eventually(
    async () => (await api('GET', '/v1/health').catch(() => ({ status: 0 }))).status === 200,
    'GET /v1/health',
    30_000,
  );
}

/** The call the PBX knows as `callId`, as the tenant's API key reads it. */
export const callOf = (tenant: TestTenant, callId: string) =>
  api('GET', `/v1/calls/${encodeURIComponent(callId)}`, { bearer: tenant.key });
