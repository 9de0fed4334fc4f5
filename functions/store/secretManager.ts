/**
 * Secret Manager's REST API, read with application default credentials (the CLI reads a
 * deployed project's secrets with the operator's own gcloud login).
 */

export type SecretRead =
  | { kind: 'value'; value: string }
  /** The project has no such secret, or no version of it. */
  | { kind: 'missing' }
  /** Secret Manager refused (403: the caller lacks roles/secretmanager.secretAccessor). */
  | { kind: 'refused'; status: number };

/** The latest version of `name` in `project`. */
export async function latestSecret(project: string, name: string): Promise<SecretRead> {
  const { applicationDefault } = await import('firebase-admin/app');
  const { access_token: token } = await applicationDefault().getAccessToken();
  const url = `https://secretmanager.googleapis.com/v1/projects/${encodeURIComponent(project)}/secrets/${encodeURIComponent(name)}/versions/latest:access`;
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (res.status === 404) return { kind: 'missing' };
  if (!res.ok) return { kind: 'refused', status: res.status };
  const body = (await res.json()) as { payload?: { data?: string } };
  return { kind: 'value', value: Buffer.from(body.payload?.data ?? '', 'base64').toString('utf8') };
}
