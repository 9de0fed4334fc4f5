import type { Auth } from 'firebase/auth';

/** An error the API answered with: its status, stable code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API, same origin: Hosting rewrites /v1/** to the `api` function, so the page needs no
 * CORS and the CSP's connect-src stays 'self'. The operator's ID token is the credential.
 */
export async function api<T>(auth: Auth, method: string, path: string): Promise<T> {
  const user = auth.currentUser;
  if (!user) throw new ApiError(401, 'unauthenticated', 'Sign in first.');
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${await user.getIdToken()}`, Accept: 'application/json' },
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    throw new ApiError(
      res.status,
      typeof body.error === 'string' ? body.error : 'error',
      typeof body.message === 'string' ? body.message : `HTTP ${res.status}`,
    );
  }
  return body as T;
}
