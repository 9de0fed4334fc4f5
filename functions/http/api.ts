import type { Request } from 'firebase-functions/v2/https';
import { AppError } from '../core/errors';
import { MAX_BODY_BYTES } from './body';
import type { ApiRequest } from './types';

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
  const path = req.path || '/';
  return {
    method: req.method.toUpperCase(),
    path,
    target: `${path}${url.search}`,
    headers,
    query: url.searchParams,
    body,
  };
}
