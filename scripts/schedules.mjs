// The scheduled functions of the local stack, run on their schedules. Cloud Scheduler is not
// emulated: this calls each onSchedule function at the times its schedule names, as Cloud
// Scheduler calls a 2nd gen scheduled function (an HTTP request), so `npm start` runs
// expireCalls and pruneStale as a deployment does.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const MINUTE = 60_000;

/**
 * The first time strictly after `after` (epoch ms) that an App Engine cron schedule fires (so a
 * run planned from its own firing time is the next one, never the same instant again). Reads
 * the forms callwake uses: `every N minutes|hours` (intervals counted from midnight UTC, as
 * Cloud Scheduler's synchronized form) and `every day HH:MM` (UTC). Anything else throws, so a
 * new schedule is never silently left unrun.
 */
export function nextRun(schedule, after, timeZone = 'Etc/UTC') {
  if (!/^(Etc\/)?UTC$/.test(timeZone)) throw new Error(`time zone ${timeZone} is not supported`);
  const every = /^every (\d+) (minute|minutes|hour|hours)$/.exec(schedule.trim());
  if (every) {
    const step = Number(every[1]) * (every[2].startsWith('hour') ? 60 : 1) * MINUTE;
    return Math.floor(after / step) * step + step;
  }
  const daily = /^every day (\d\d):(\d\d)$/.exec(schedule.trim());
  if (daily) {
    const day = new Date(after);
    const at = Date.UTC(
      day.getUTCFullYear(),
      day.getUTCMonth(),
      day.getUTCDate(),
      Number(daily[1]),
      Number(daily[2]),
    );
    return at > after ? at : at + 24 * 60 * MINUTE;
  }
  throw new Error(`schedule "${schedule}" is not one the local stack can run`);
}

/** The built functions' schedules: [{ name, schedule, timeZone }]. */
export function scheduledFunctions(root) {
  const require = createRequire(join(root, 'package.json'));
  const saved = process.env.FUNCTION_TARGET;
  delete process.env.FUNCTION_TARGET;
  try {
    const functions = require(join(root, 'lib', 'functions', 'index.js'));
    return Object.entries(functions).flatMap(([name, fn]) => {
      const trigger = fn?.__endpoint?.scheduleTrigger;
      if (!trigger) return [];
      return [{ name, schedule: trigger.schedule, timeZone: trigger.timeZone ?? 'Etc/UTC' }];
    });
  } finally {
    if (saved !== undefined) process.env.FUNCTION_TARGET = saved;
  }
}

/**
 * Runs a scheduled function once, through the Functions emulator, and resolves once it has
 * answered 200. Not through Pub/Sub: firebase-tools 14.27.0 registers a 2nd gen onSchedule
 * function on the topic firebase-schedule-<name> with the signature "http"
 * (lib/emulator/functionsEmulatorShared.js getSignatureType), and its Pub/Sub emulator delivers
 * only "event" and "cloudevent" triggers: for "http" it throws "Unsupported trigger signature",
 * logs that at debug level and acks the message (pubsubEmulator.js onMessage), so a published
 * message never runs the function. The emulator serves each trigger at
 * /functions/projects/<project>/triggers/<key> (functionsEmulator.js backgroundFunctionRoute),
 * the key being <region>-<name>-<generation> (getTriggerKey), and answers a request for a
 * function it does not have with a 404 listing every key (handleHttpsTrigger); the request runs
 * the onSchedule HTTP handler as Cloud Scheduler's would (firebase-functions v2/providers/
 * scheduler.js onSchedule).
 */
export async function fire(functionsHost, project, name, now = Date.now()) {
  const base = `http://${functionsHost}`;
  const listing = await fetch(`${base}/${project}/none/none`, { method: 'POST' });
  const keys = (await listing.text()).split(/[\s,]+/);
  const key = keys
    .filter((k) => new RegExp(`^[a-z0-9-]+-${name}-\\d+$`).test(k))
    .sort((a, b) => Number(b.split('-').at(-1)) - Number(a.split('-').at(-1)))[0];
  if (!key) throw new Error(`the Functions emulator has no trigger for ${name}`);
  const res = await fetch(`${base}/functions/projects/${project}/triggers/${key}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-CloudScheduler-JobName': `firebase-schedule-${name}`,
      'X-CloudScheduler-ScheduleTime': new Date(now).toISOString(),
    },
    body: '{}',
  });
  if (!res.ok) throw new Error(`${name} answered HTTP ${res.status} ${await res.text()}`);
}

/**
 * Runs every scheduled function of the build on its schedule until the returned stop() is
 * called. `log` gets one line per run (or failure to publish).
 */
export function runSchedules({ root, functionsHost, project, log, now = Date.now }) {
  const timers = new Set();
  let stopped = false;
  for (const job of scheduledFunctions(root)) {
    const plan = (from) => {
      if (stopped) return;
      const at = nextRun(job.schedule, from, job.timeZone);
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          fire(functionsHost, project, job.name, at).then(
            () => log(`${job.name} (${job.schedule}) ran`),
            (err) => log(`${job.name}: ${err instanceof Error ? err.message : err}`),
          );
          plan(at);
        },
        Math.max(0, at - now()),
      );
      timer.unref?.();
      timers.add(timer);
    };
    plan(now());
    log(`${job.name} scheduled: ${job.schedule} (${job.timeZone})`);
  }
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  };
}
