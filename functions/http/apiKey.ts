import { AppError } from '../core/errors';
import type { Tenant } from '../store/tenantDirectory';
import type { ApiContext, ApiRequest } from './types';

const QUERY_KEY_NAMES = ['key', 'api_key', 'apikey', 'token', 'access_token'];

/**
 * The API key from `Authorization: Bearer`, `X-Api-Key`, or HTTP Basic (the
 * password, as Asterisk's CURLOPT(userpwd) sends it). Never the query string:
 * URLs end up in proxy and PBX logs.
 */
export function extractApiKey(req: ApiRequest): string | null {
  if (QUERY_KEY_NAMES.some((name) => req.query.has(name))) {
    throw new AppError(
      'unauthenticated',
      'API keys are not accepted in the query string; send an Authorization header.',
    );
  }
  const header = req.headers['x-api-key']?.trim();
  if (header) return header;
  const authorization = req.headers.authorization?.trim() ?? '';
  const [scheme = '', credentials = ''] = authorization.split(/\s+/, 2);
  if (/^bearer$/i.test(scheme) && credentials) return credentials;
  if (/^basic$/i.test(scheme) && credentials) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    return password || (colon >= 0 ? decoded.slice(0, colon) : decoded) || null;
  }
  return null;
}

/** The tenant whose API key the request carries; 401 otherwise. */
export async function requireTenant(req: ApiRequest, ctx: ApiContext): Promise<Tenant> {
  const key = extractApiKey(req);
  if (!key) {
    throw new AppError(
      'unauthenticated',
      'An API key is required: Authorization: Bearer <key>, X-Api-Key: <key>, or HTTP Basic with the key as password.',
    );
  }
  const tenant = await ctx.resolveApiKey(key);
  if (!tenant) throw new AppError('unauthenticated', 'The API key is not valid.');
  return tenant;
}
