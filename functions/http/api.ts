import type { Request } from 'firebase-functions/v2/https';
import { PBX_API_KEY, PUSH_SEND_BUDGET_MS, projectId, providerEndpoints } from '../config';
import { systemClock } from '../core/deliver';
import { sendersFor } from '../push/senders';
import { FirestoreCallStore } from '../store/callStore';
import { firestore } from '../store/firestore';
import { TenantDirectory } from '../store/tenantDirectory';
import { AppError } from '../core/errors';
import { MAX_BODY_BYTES } from './body';
import type { ApiContext, ApiRequest } from './types';
import { FirestoreDeviceStore } from '../store/deviceStore';

let context: Promise<ApiContext> | undefined;

async function makeContext(): Promise<ApiContext> {
  const db = await firestore();
  const { logger } = await import('firebase-functions/v2');
  const tenants = new TenantDirectory(db, () => PBX_API_KEY.value());
  const endpoints = providerEndpoints();
  return {
    resolveApiKey: (key) => tenants.resolveApiKey(key),
    devices: new FirestoreDeviceStore(db),
    calls: new FirestoreCallStore(db),
    sendersFor,
    endpoints: {
      projectId: projectId(),
      fcmOrigin: endpoints.fcmOrigin,
      apnsOrigins: endpoints.apnsOrigins,
    },
    sendBudgetMs: PUSH_SEND_BUDGET_MS.value(),
    clock: systemClock,
    reportError: (err) => {
      logger.error('request failed', { error: err instanceof Error ? err.stack : String(err) });
    },
  };
}

/** The API context, made once per instance on the first request. */
export function apiContext(): Promise<ApiContext> {
  context ??= makeContext().catch((err: unknown) => {
    context = undefined;
    throw err;
  });
  return context;
}

/**
 * The request body as bytes. The platform has already read form and JSON
 * bodies into rawBody; a body with no Content-Type is still on the stream.
 */
export async function readBody(req: Request): Promise<Buffer> {
  // Typed as always present, but unset when no body parser claimed the Content-Type.
  const raw = req.rawBody as Buffer | undefined;
  if (raw) return raw;
  if (req.readableEnded || req.method === 'GET' || req.method === 'HEAD') return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new AppError('payload_too_large', `Request body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Express-style request to the API's own request shape. */
export function toApiRequest(req: Request, body: Buffer): ApiRequest {
  const url = new URL(req.originalUrl || req.url, 'http://localhost');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: req.method.toUpperCase(),
    path: req.path || '/',
    headers,
    query: url.searchParams,
    body,
  };
}
