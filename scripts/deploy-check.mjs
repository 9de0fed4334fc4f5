// The deploy's own checks, offline: what `firebase deploy --only functions` does before it
// uploads anything. firebase-tools' own code (lib/deploy/functions/prepare.js) guards the
// runtime (refused once decommissioned), loads the built functions the way a deploy does,
// resolves their params from the .env files non-interactively (as a CI deploy would), and
// validates the endpoints. Then each function's runtime, region, memory, timeout, minimum
// instances and secrets are compared with the table in docs/deploy.md, and a deploy with other
// settings (region, warm instances, Android only) is checked to change only what it should.
//
// Run after `npm run build`; prints one line per check and `deploy-check: N passed, N failed`.
import { createRequire } from 'node:module';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSummary } from './lib/summary.mjs';
import { DEPLOY_RUNTIME, requireDeployNode, root } from './runtime.mjs';

requireDeployNode('deploy-check');
const require = createRequire(import.meta.url);
const cli = (path) => require(`firebase-tools/lib/${path}`);
const { Config } = cli('config');
const { loadCodebases } = cli('deploy/functions/prepare');
const build = cli('deploy/functions/build');
const backend = cli('deploy/functions/backend');
const validate = cli('deploy/functions/validate');
const functionsEnv = cli('functions/env');
const supported = cli('deploy/functions/runtimes/supported');
const projectConfig = cli('functions/projectConfig');
const hostingConfig = cli('deploy/hosting/convertConfig');

let passed = 0;
let failed = 0;
const failures = [];
function check(ok, what, detail = '') {
  if (ok) passed += 1;
  else {
    failed += 1;
    failures.push(detail ? `${what}: ${detail}` : what);
  }
  console.log(`  ${ok ? '✔' : '✖'} ${what}${detail ? `: ${detail}` : ''}`);
}

/** What `firebase deploy` would create for project `projectId`, one row per function. */
async function discover(projectId) {
  const options = {
    cwd: root,
    projectId,
    project: projectId,
    nonInteractive: true,
    config: Config.load({ cwd: root, configPath: 'firebase.json' }),
  };
  const firebaseConfig = { projectId };
  const functionsConfig = projectConfig.normalizeAndValidate(options.config.src.functions);
  const builds = await loadCodebases(functionsConfig, options, firebaseConfig, {
    firebase: firebaseConfig,
  });
  const rows = [];
  const backends = [];
  for (const [codebase, wantBuild] of Object.entries(builds)) {
    const userEnvs = functionsEnv.loadUserEnvs({ functionsSource: root, projectId });
    // isEmulator skips only the Secret Manager lookups, which need the project.
    const { backend: want } = await build.resolveBackend({
      build: wantBuild,
      firebaseConfig,
      userEnvs,
      nonInteractive: true,
      isEmulator: true,
    });
    validate.endpointsAreValid(want);
    backends.push(want);
    for (const endpoint of backend.allEndpoints(want)) {
      rows.push({
        codebase,
        name: endpoint.id,
        runtime: endpoint.runtime,
        trigger: backend.endpointTriggerType(endpoint),
        region: endpoint.region,
        memory: endpoint.availableMemoryMb ?? backend.DEFAULT_MEMORY ?? 256,
        timeout: endpoint.timeoutSeconds ?? 60,
        minInstances: endpoint.minInstances ?? 0,
        secrets: (endpoint.secretEnvironmentVariables ?? []).map((s) => s.secret).sort(),
        retry: Boolean(endpoint.eventTrigger?.retry),
        taskRetry: endpoint.taskQueueTrigger?.retryConfig,
        document: endpoint.eventTrigger?.eventFilterPathPatterns?.document,
      });
    }
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  return Object.assign(rows, { backend: backend.merge(...backends) });
}

/**
 * Where Hosting's rewrites of firebase.json land in a deploy of `want`: the CLI's own lookup
 * (deploy/hosting/convertConfig.js, findEndpointForRewrite), which picks the function's region
 * when the rewrite names none.
 */
function rewriteTargets(want) {
  const config = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8'));
  return (config.hosting?.rewrites ?? [])
    .filter((r) => r.function)
    .map((r) => {
      const { matchingEndpoint } = hostingConfig.findEndpointForRewrite(
        'check',
        want,
        r.function.functionId,
        r.function.region,
      );
      return { source: r.source, endpoint: matchingEndpoint };
    });
}

/** The section "Functions as deployed" of docs/deploy.md, or undefined without one. */
const deployedSection = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8')
  .split('## Functions as deployed')[1]
  ?.split('\n## ')[0];

/** The section's table. */
function documentedFunctions() {
  const rows = (deployedSection ?? '')
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  return rows.map(([name, trigger, memory, timeout, minInstances, secrets, retry]) => ({
    name: name.replace(/`/g, ''),
    trigger,
    memory: Number.parseInt(memory, 10),
    timeout: Number.parseInt(timeout, 10),
    minInstances: minInstances.replace(/`/g, ''),
    secrets:
      secrets === '—'
        ? []
        : secrets
            .replace(/`/g, '')
            .split(',')
            .map((s) => s.trim())
            .sort(),
    retry: retry === 'yes',
    retryText: retry,
  }));
}

/**
 * What a trigger cell of the table says, as a test of the CLI's endpoint: HTTPS, a Firestore
 * write (any) or create on the path shown (`…` stands for the documented path's leading part), a schedule, or
 * Cloud Tasks.
 */
function documentedTrigger(cell) {
  const path = /`([^`]+)`/.exec(cell)?.[1];
  if (cell === 'HTTPS') return { matches: (row) => row.trigger === 'https' };
  const event = /^Firestore (write|create)/.exec(cell)?.[1];
  if (event && path) {
    const tail = path.replace(/^…\//, '');
    const type = `google.cloud.firestore.document.v1.${event === 'write' ? 'written' : 'created'}`;
    return {
      matches: (row) =>
        row.trigger === type &&
        typeof row.document === 'string' &&
        row.document.replace(/\{[^}]+\}/g, '*').endsWith(tail),
    };
  }
  if (cell.startsWith('schedule')) return { matches: (row) => row.trigger === 'scheduled' };
  if (cell.startsWith('Cloud Tasks')) return { matches: (row) => row.trigger === 'taskQueue' };
  return { matches: () => false };
}

/** "every 1 s, 5 min": a task queue retried at that fixed backoff for that long. */
function taskRetryAsDocumented(config, text) {
  const said = /^every (\d+) s, (\d+) min$/.exec(text ?? '');
  if (!config || !said) return false;
  const backoff = Number(said[1]);
  return (
    config.minBackoffSeconds === backoff &&
    config.maxBackoffSeconds === backoff &&
    config.maxRetrySeconds === Number(said[2]) * 60
  );
}

const show = (rows) =>
  rows
    .map(
      (r) =>
        `    ${r.name.padEnd(17)} ${r.runtime} ${r.region.padEnd(13)} ${String(r.memory).padStart(4)} MiB ` +
        `${String(r.timeout).padStart(3)} s  min ${r.minInstances}  retry ${r.retry ? 'yes' : 'no '}  ` +
        `secrets ${r.secrets.join(', ') || '—'}  (${r.trigger})`,
    )
    .join('\n');

// 1. The repository's own settings (.env), for any project.
const defaults = await discover('callwake-deploy-check');
console.log(`\ndeploy-check: what a deploy of this tree creates\n${show(defaults)}`);
check(
  supported.isRuntime(DEPLOY_RUNTIME) && !supported.isDecommissioned(DEPLOY_RUNTIME),
  `${DEPLOY_RUNTIME} is a runtime the CLI deploys, not decommissioned`,
  `deprecated ${supported.RUNTIMES[DEPLOY_RUNTIME]?.deprecationDate}, decommissioned ${supported.RUNTIMES[DEPLOY_RUNTIME]?.decommissionDate}`,
);
check(
  defaults.length > 0 && defaults.every((r) => r.runtime === DEPLOY_RUNTIME),
  `every function deploys on ${DEPLOY_RUNTIME}`,
);
check(
  defaults.every((r) => r.region === 'us-central1'),
  'every function in REGION (us-central1 unless set)',
);
const runtimeSentence = deployedSection?.split('\n\n')[1];
check(
  runtimeSentence?.includes(`(\`${DEPLOY_RUNTIME}\``) === true,
  `docs/deploy.md says the functions run on ${DEPLOY_RUNTIME}`,
  runtimeSentence ?? 'no "Functions as deployed" section',
);
const documented = documentedFunctions();
check(
  documented.length === defaults.length &&
    documented.every((d) => defaults.some((r) => r.name === d.name)),
  'docs/deploy.md lists exactly the deployed functions',
  documented.map((d) => d.name).join(', '),
);
for (const doc of documented) {
  const row = defaults.find((r) => r.name === doc.name);
  if (!row) continue;
  const minInstances = /^[A-Z_]+_MIN_INSTANCES$/.test(doc.minInstances)
    ? 0
    : Number(doc.minInstances);
  const trigger = documentedTrigger(doc.trigger);
  const mismatches = [
    !trigger.matches(row) &&
      `trigger ${row.trigger} ${row.document ?? ''}, documented ${doc.trigger}`,
    row.memory !== doc.memory && `memory ${row.memory} MiB, documented ${doc.memory}`,
    row.timeout !== doc.timeout && `timeout ${row.timeout} s, documented ${doc.timeout}`,
    row.minInstances !== minInstances && `min instances ${row.minInstances}`,
    row.secrets.join() !== doc.secrets.join() &&
      `secrets ${row.secrets.join(', ') || 'none'}, documented ${doc.secrets.join(', ') || 'none'}`,
    (row.taskRetry
      ? !taskRetryAsDocumented(row.taskRetry, doc.retryText)
      : row.retry !== doc.retry) &&
      `retry ${JSON.stringify(row.taskRetry ?? row.retry)}, documented ${doc.retryText}`,
  ].filter(Boolean);
  check(mismatches.length === 0, `${doc.name} as docs/deploy.md says`, mismatches.join('; '));
}

// 2. A project with its own settings: the deploy follows .env.<project-id>, no source edit.
const other = 'callwake-deploy-check-eu';
const overrides = join(root, `.env.${other}`);
writeFileSync(
  overrides,
  'REGION=europe-west1\nAPI_MIN_INSTANCES=1\nCANCEL_MIN_INSTANCES=2\nPUSH_PROVIDERS=fcm\n',
);
let tuned;
try {
  tuned = await discover(other);
} finally {
  rmSync(overrides, { force: true });
}
console.log(
  `\ndeploy-check: with .env.${other} (europe-west1, one warm api, two warm onCallWritten, Android only)\n${show(tuned)}`,
);
check(
  tuned.every((r) => r.region === 'europe-west1'),
  'REGION moves every function (europe-west1)',
);
const rewrites = rewriteTargets(tuned.backend);
check(
  rewrites.length > 0 &&
    rewrites.every((r) => r.endpoint?.id === 'api' && r.endpoint.region === 'europe-west1'),
  "Hosting's /v1/** rewrite reaches the api function in REGION (the console's API)",
  rewrites
    .map((r) => `${r.source} → ${r.endpoint?.id ?? 'nothing'} ${r.endpoint?.region ?? ''}`)
    .join(', '),
);
check(
  tuned.every(
    (r) => r.minInstances === (r.name === 'api' ? 1 : r.name === 'onCallWritten' ? 2 : 0),
  ),
  'API_MIN_INSTANCES and CANCEL_MIN_INSTANCES keep that many api and onCallWritten instances warm, and no other',
);
check(
  tuned.every((r) => !r.secrets.includes('APNS_KEY')) &&
    tuned.find((r) => r.name === 'api')?.secrets.join() === 'PBX_API_KEY',
  'PUSH_PROVIDERS=fcm: no function binds the APNs key, so none needs setting',
);

// 3. Every provider: the Web Push and HMS secrets are bound where pushes are sent, nowhere else.
const every = 'callwake-deploy-check-all';
const everyFile = join(root, `.env.${every}`);
writeFileSync(everyFile, 'PUSH_PROVIDERS=fcm,apns,webpush,hms\n');
let all;
try {
  all = await discover(every);
} finally {
  rmSync(everyFile, { force: true });
}
console.log(
  `\ndeploy-check: with .env.${every} (PUSH_PROVIDERS=fcm,apns,webpush,hms)\n${show(all)}`,
);
const providerSecrets = ['APNS_KEY', 'HMS_CLIENT_SECRET', 'VAPID_KEY'];
check(
  all.every((r) => {
    const pushing = defaults.find((d) => d.name === r.name)?.secrets.includes('APNS_KEY');
    const want = [
      ...(r.name === 'api' ? ['PBX_API_KEY'] : []),
      ...(pushing ? providerSecrets : []),
    ];
    return r.secrets.join() === want.sort().join();
  }),
  'PUSH_PROVIDERS=fcm,apns,webpush,hms: the pushing functions bind VAPID_KEY and HMS_CLIENT_SECRET too, no other function does',
);

writeSummary({ passed, failed, failures });
console.log(`\ndeploy-check: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
