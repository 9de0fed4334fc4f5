import { HMS_CLIENT_ID, HMS_CLIENT_SECRET, providerEndpoints } from '../config';
import {
  AccessTokenCache,
  type AccessTokenSource,
  type OAuthAccessToken,
} from './accessTokenCache';

/** An OAuth request that hangs would hold every push behind it (they share one fetch): cap it. */
const TOKEN_TIMEOUT_MS = 10_000;

/**
 * Huawei's OAuth 2.0 client credentials grant (`POST oauth2/v3/token`, a form with grant_type,
 * client_id and client_secret; the answer has access_token and expires_in, 3600 s), as
 * Huawei's own server samples do (HMS-Core/hms-push-serverdemo-go push/authention/auth.go).
 * Throws naming the status only: Huawei's error body may echo the client id.
 */
export async function fetchHmsAccessToken(
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<OAuthAccessToken> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  });
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
    signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HMS OAuth answered ${res.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('HMS OAuth answered something other than JSON');
  }
  const { access_token: token, expires_in: expiresIn } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number') {
    throw new Error('HMS OAuth answered without an access token');
  }
  return { access_token: token, expires_in: expiresIn };
}

/** This process's HMS bearer: fetched once, shared, refreshed five minutes before it expires. */
export const hmsAccessTokens: AccessTokenSource = new AccessTokenCache(() =>
  fetchHmsAccessToken(
    providerEndpoints().hmsTokenUrl,
    HMS_CLIENT_ID.value(),
    HMS_CLIENT_SECRET.value(),
  ),
);
