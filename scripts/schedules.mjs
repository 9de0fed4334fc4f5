// The scheduled functions of the local stack, run on their schedules. firebase-tools' Functions
// emulator registers each onSchedule function on the Pub/Sub topic firebase-schedule-<name>
// (lib/emulator/functionsEmulator.js addPubsubTrigger) but nothing publishes to it: Cloud
// Scheduler is not emulated. This publishes to that topic at the times the schedule names, so
// `npm start` runs expireCalls and pruneStale as a deployment does.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const MINUTE = 60_000;

/**
 * The next time at or after `after` (epoch ms) that an App Engine cron schedule fires. Reads
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

/** Publishes one (empty) message to a scheduled function's topic, as Cloud Scheduler does. */
export async function fire(pubsubHost, project, name) {
  const url = `http://${pubsubHost}/v1/projects/${project}/topics/firebase-schedule-${name}:publish`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ data: Buffer.from('{}').toString('base64') }] }),
  });
  if (!res.ok)
    throw new Error(`publish to ${name}'s topic: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Runs every scheduled function of the build on its schedule until the returned stop() is
 * called. `log` gets one line per run (or failure to publish).
 */
export function runSchedules({ root, pubsubHost, project, log, now = Date.now }) {
  const timers = new Set();
  let stopped = false;
  for (const job of scheduledFunctions(root)) {
    const plan = (from) => {
      if (stopped) return;
      const at = nextRun(job.schedule, from, job.timeZone);
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          fire(pubsubHost, project, job.name).then(
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
