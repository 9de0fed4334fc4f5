// The emulators' copy of firebase.json. The console's Content-Security-Policy (firebase.json,
// hosting.headers) lets the page connect to its own origin and Google's Firestore and Auth
// endpoints only; on the emulators the page talks to the Auth and Firestore emulators instead,
// so this copy adds their origins to connect-src and changes nothing else. It is written beside
// firebase.json (paths in it are relative to its folder) and git-ignored; the deployed CSP is
// firebase.json's own.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_CONFIG = 'firebase.local.json';

/** firebase.json's CSP with `origins` added to connect-src. */
export function widenConnectSrc(csp, origins) {
  return csp.replace(
    /connect-src ([^;]*)/,
    (_m, list) => `connect-src ${list} ${origins.join(' ')}`,
  );
}

/** Writes firebase.local.json and returns its name, for `firebase --config`. */
export function writeLocalConfig(root) {
  const config = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8'));
  const { auth, firestore } = config.emulators;
  const origins = [auth, firestore].map((e) => `http://${e.host}:${e.port}`);
  for (const rule of config.hosting.headers) {
    for (const header of rule.headers) {
      if (header.key === 'Content-Security-Policy')
        header.value = widenConnectSrc(header.value, origins);
    }
  }
  writeFileSync(join(root, LOCAL_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
  return LOCAL_CONFIG;
}
