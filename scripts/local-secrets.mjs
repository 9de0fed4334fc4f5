// The emulator's secret values live in .secret.local (git-ignored). This
// fills in what is missing: the PBX API key (CALLWAKE_API_KEY when set, else
// generated once), a throwaway APNs key so the functions load offline (its key id and team
// are params, in .env.demo-callwake), the local stack's own VAPID key pair for Web Push, and an
// HMS client secret that the tests' fake Huawei OAuth server is given.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function parseEnvFile(text) {
  const values = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if (value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1).replace(/\\n/g, '\n');
    values[match[1]] = value;
  }
  return values;
}

const quote = (value) => (value.includes('\n') ? `"${value.replace(/\n/g, '\\n')}"` : value);

/** Ensures .secret.local holds every secret the functions declare; returns the values. */
export function ensureLocalSecrets(root, env = process.env) {
  const file = join(root, '.secret.local');
  const values = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  const before = JSON.stringify(values);
  if (env.CALLWAKE_API_KEY) values.PBX_API_KEY = env.CALLWAKE_API_KEY;
  values.PBX_API_KEY ||= `cwk_${randomBytes(24).toString('base64url')}`;
  if (!values.APNS_KEY) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    values.APNS_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  if (!values.VAPID_KEY) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    values.VAPID_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
  values.HMS_CLIENT_SECRET ||= randomBytes(24).toString('hex');
  // The key id and team are params (.env.demo-callwake), not secrets: none kept here.
  delete values.APNS_KEY_ID;
  delete values.APNS_TEAM_ID;
  if (JSON.stringify(values) !== before) {
    const text = Object.entries(values)
      .map(([key, value]) => `${key}=${quote(value)}`)
      .join('\n');
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
  }
  return values;
}
