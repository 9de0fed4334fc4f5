import assert from 'node:assert/strict';
import { expireCalls } from '../../../functions/scheduled/expireCalls';
import { pruneStale } from '../../../functions/scheduled/pruneStale';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe("the local stack's schedules (scripts/schedules.mjs)", () => {
  let nextRun: (schedule: string, after: number, timeZone?: string) => number;
  before(async () => {
    // An ES module: loaded with import(), as the CommonJS tests cannot require it statically.
    ({ nextRun } = await import('../../../scripts/schedules.mjs'));
  });

  it('runs `every N minutes` on the next multiple of N minutes since midnight UTC', () => {
    assert.equal(
      iso(nextRun('every 1 minutes', at('2026-12-06T08:41:30.500Z'))),
      '2026-12-06T08:42:00.000Z',
    );
    assert.equal(
      iso(nextRun('every 5 minutes', at('2026-12-06T08:41:00.000Z'))),
      '2026-12-06T08:45:00.000Z',
    );
    assert.equal(
      iso(nextRun('every 2 hours', at('2026-12-06T23:10:00.000Z'))),
      '2026-12-07T00:00:00.000Z',
    );
    assert.equal(
      iso(nextRun('every 1 hours', at('2026-12-06T08:00:00.001Z'))),
      '2026-12-06T09:00:00.000Z',
    );
  });

  it('plans the run after a firing a full step on, never the same instant again', () => {
    let t = at('2026-12-06T08:41:59.999Z');
    const runs: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      t = nextRun('every 1 minutes', t);
      runs.push(iso(t));
    }
    assert.deepEqual(runs, [
      '2026-12-06T08:42:00.000Z',
      '2026-12-06T08:43:00.000Z',
      '2026-12-06T08:44:00.000Z',
    ]);
    const daily = at('2026-12-06T03:30:00.000Z');
    assert.equal(iso(nextRun('every day 03:30', daily)), '2026-12-07T03:30:00.000Z');
  });

  it('runs `every day HH:MM` at that time UTC, today if still ahead, else tomorrow', () => {
    assert.equal(
      iso(nextRun('every day 03:30', at('2026-12-06T03:29:59.000Z'))),
      '2026-12-06T03:30:00.000Z',
    );
    assert.equal(
      iso(nextRun('every day 03:30', at('2026-12-06T08:00:00.000Z'))),
      '2026-12-07T03:30:00.000Z',
    );
    assert.equal(
      iso(nextRun('every day 03:30', at('2026-12-31T23:00:00.000Z'))),
      '2027-01-01T03:30:00.000Z',
    );
    assert.equal(
      iso(nextRun('every day 03:30', at('2026-12-06T08:00:00.000Z'), 'UTC')),
      '2026-12-07T03:30:00.000Z',
    );
  });

  it('refuses a schedule or time zone it cannot run, rather than leave a job unrun', () => {
    const now = at('2026-12-06T08:00:00.000Z');
    for (const schedule of ['every monday 09:00', '*/5 * * * *', 'every 1 seconds', 'daily']) {
      assert.throws(() => nextRun(schedule, now), /is not one the local stack can run/, schedule);
    }
    assert.throws(
      () => nextRun('every day 03:30', now, 'Europe/Paris'),
      /time zone Europe\/Paris is not supported/,
    );
  });

  it("runs every schedule callwake's scheduled functions declare", () => {
    const now = at('2026-12-06T08:41:30.000Z');
    const declared = [expireCalls, pruneStale].map((fn) => {
      const trigger = fn.__endpoint.scheduleTrigger as { schedule: string; timeZone?: string };
      return nextRun(trigger.schedule, now, trigger.timeZone ?? 'Etc/UTC');
    });
    assert.deepEqual(declared.map(iso), ['2026-12-06T08:42:00.000Z', '2026-12-07T03:30:00.000Z']);
  });
});
