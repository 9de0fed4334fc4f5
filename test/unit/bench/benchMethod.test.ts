import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnswerResult } from '../../../bench/answerPath';
import type { ColdStartResult } from '../../../bench/coldStart';
import type { FreshStartResult } from '../../../bench/freshInstance';
import type { CostStep, ServedCost } from '../../../bench/costSummary';
import { collectionOf, type OpRow } from '../../../bench/firestoreProxy';
import { evaluateGoals } from '../../../bench/goals';
import { Quiescence } from '../../../bench/quiescence';
import { shuffled, type RingResult } from '../../../bench/ringPath';
import { distribution } from '../../../bench/stats';

describe('the bench method', () => {
  describe('quiescence', () => {
    const log = () => {
      const file = join(mkdtempSync(join(tmpdir(), 'quiet-')), 'emulators.log');
      writeFileSync(file, 'i  functions: Beginning execution of "old"\n');
      return file;
    };

    it('waits while a run that began has not finished, and returns once it has and all is idle', async () => {
      const file = log();
      const quiet = new Quiescence(file);
      appendFileSync(file, 'i  functions: Beginning execution of "us-central1-onCallWritten"\n');
      let done = false;
      const waiting = quiet.wait().then((ms) => {
        done = true;
        return ms;
      });
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(done, false, 'quiet while a run is open');
      const finishedAt = Date.now();
      appendFileSync(file, 'i  functions: Finished "us-central1-onCallWritten" in 3.2ms\n');
      await waiting;
      assert.ok(Date.now() - finishedAt >= 200, 'an idle window follows the last line');
      assert.equal(quiet.stats().timedOut, 0);
    });

    it('does not count a run that ended before it began to look against a later one', async () => {
      const file = log();
      const quiet = new Quiescence(file);
      appendFileSync(
        file,
        'i  functions: Finished "old" in 1ms\ni  functions: Beginning execution of "old"\n',
      );
      let done = false;
      const waiting = quiet.wait().then(() => (done = true));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(done, false, 'the later run is still open');
      appendFileSync(file, 'i  functions: Finished "old" in 1ms\n');
      await waiting;
    });
  });

  it('does not wait for the deadline task, whose emulated dispatch repeats every second, but counts it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'quiet-')), 'emulators.log');
    writeFileSync(file, '');
    const quiet = new Quiescence(file);
    appendFileSync(file, 'i  functions: Beginning execution of "us-central1-onCallDeadline"\n');
    const waited = await quiet.wait();
    assert.ok(waited < 2_000, `waited ${waited} ms`);
    assert.deepEqual(quiet.begunSince(), ['us-central1-onCallDeadline']);
  });

  it('shuffles the turns differently from round to round, each a permutation', () => {
    const orders = [1, 2, 3, 4].map((seed) => shuffled(13, seed));
    for (const order of orders)
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        [...Array(13).keys()],
      );
    assert.ok(new Set(orders.map((o) => o.join())).size > 1);
    assert.ok(new Set(orders.map((o) => o[0])).size > 1, 'not always the same first scenario');
  });

  describe('goals', () => {
    const row = (system: RingResult['system'], set: RingResult['set'], p50: number): RingResult => {
      const d = { ...distribution([p50]) };
      return {
        name: `${system} ${set}`,
        short: set,
        system,
        set,
        devices: 1,
        calls: 1,
        firstArrival: d,
        lastArrival: d,
        response: d,
      };
    };
    const inputs = (floorAndroid: number) => ({
      ringPath: [
        row('callwake', 'android1', 20),
        row('floor', 'android1', floorAndroid),
        row('callwake', 'ios1', 20),
        row('floor', 'ios1', 20),
        row('callwake', 'mixed10', 22),
        row('floor', 'mixed10', 21),
        row('callwake', 'android10', 22),
        row('seeds', 'android10', 20),
        row('naive', 'android10', 50),
      ],
      ringWithLatency: { fcmAnswerDelayMs: 40, rows: [] },
      answerPath: {
        longPoll: distribution([60, 120]),
        byDoor: { sdk: distribution([60]), https: distribution([120]) },
        cancelElsewhere: distribution([90, 310]),
        poll: distribution([500, 900]),
      } as unknown as AnswerResult,
      freshInstance: { callwake: { pushMs: 500 }, hello: { replyMs: 400 } } as FreshStartResult,
      coldStart: {
        requireMs: { index: 1, hello: 1 },
        ratio: { index: 1 },
      } as unknown as ColdStartResult,
      servedCost: null,
    });
    const named = (goals: ReturnType<typeof evaluateGoals>, part: string) => {
      const goal = goals.find((g) => g.name.includes(part));
      assert.ok(goal, part);
      return goal;
    };

    it('says met or missed with the ratio and the difference in ms', () => {
      const met = named(evaluateGoals(inputs(19)), 'strict floor, 1 Android');
      assert.deepEqual([met.met, met.ratio, met.diffMs], [true, 1.05, 1]);
      const missed = named(evaluateGoals(inputs(17)), 'strict floor, 1 Android');
      assert.deepEqual([missed.met, missed.ratio, missed.diffMs], [false, 1.18, 3]);
      const seeds = named(evaluateGoals(inputs(19)), 'competent seeds peer');
      assert.equal(seeds.ratio, 1.1);
      assert.match(seeds.note ?? '', /naive peer.*50 ms/);
    });

    it('never calls a goal met that it lacks the figures for', () => {
      const goals = evaluateGoals(inputs(19));
      const latency = named(goals, 'FCM answering after');
      assert.equal(latency.met, null);
      for (const goal of goals.filter((g) => g.measured === null)) assert.equal(goal.met, null);
      const noHttps = evaluateGoals({
        ...inputs(19),
        answerPath: {
          byDoor: { sdk: distribution([60]), https: distribution([]) },
          cancelElsewhere: distribution([]),
          longPoll: distribution([60]),
          poll: distribution([500]),
        } as unknown as AnswerResult,
      });
      assert.equal(named(noHttps, 'p50, the HTTPS answer route').met, null);
      assert.equal(named(noHttps, 'Answer elsewhere').met, null);
    });

    it('judges each answer door and the cancel after an answer elsewhere on its own samples', () => {
      const goals = evaluateGoals(inputs(19));
      const sdk = named(goals, 'p50, the answer document door');
      assert.deepEqual([sdk.met, sdk.measured], [true, '60 ms']);
      const https = named(goals, 'p50, the HTTPS answer route');
      assert.deepEqual([https.met, https.measured], [true, '120 ms']);
      const cancel = named(goals, 'Answer elsewhere');
      assert.deepEqual([cancel.met, cancel.diffMs], [false, 10]);
    });

    describe('the cost counted from the served functions', () => {
      const op = (reads: number, writes: number): OpRow => ({
        fn: 'api',
        rpc: 'Commit',
        collection: 'tenants/*/calls',
        calls: 1,
        reads,
        writes,
        emptyQueries: 0,
      });
      const step = (
        system: CostStep['system'],
        name: string,
        reads: number,
        writes: number,
      ): CostStep => ({ system, step: name, rows: [op(reads, writes)], appWrites: 0 });
      const cost = (ringReads: number[]): ServedCost => ({
        rounds: ringReads.length,
        steps: ringReads.map((reads) => [
          step('callwake', 'ring', reads, 3),
          step('callwake', 'answer (HTTPS route)', 20, 9),
          { ...step('callwake', 'answer (answer document)', 20, 8), appWrites: 1 },
          step('floor', 'ring', 10, 1),
        ]),
      });

      it('prints callwake beside the floor, from the median round, the app’s own writes included', () => {
        const [goals] = [evaluateGoals({ ...inputs(19), servedCost: cost([13, 15, 13]) })];
        const goal = goals.find((g) => g.name.startsWith('Firestore operations'));
        assert.equal(goal?.met, true);
        assert.equal(goal.measured, '33 reads, 12 writes ÷ 10 reads, 1 writes');
        assert.match(goal.note ?? '', /answer document 33 reads, 12 writes/);
      });

      it('is not measured when the cost session did not run or lacks a step', () => {
        const none = evaluateGoals({ ...inputs(19), servedCost: null });
        assert.equal(none.find((g) => g.name.startsWith('Firestore operations'))?.met, null);
        const partial: ServedCost = { rounds: 1, steps: [[step('callwake', 'ring', 13, 3)]] };
        const missing = evaluateGoals({ ...inputs(19), servedCost: partial });
        assert.equal(missing.find((g) => g.name.startsWith('Firestore operations'))?.met, null);
      });

      it('names a collection from a document, with its ids hidden', () => {
        const root = 'projects/p/databases/(default)/documents';
        assert.equal(collectionOf(`${root}/tenants/t1/calls/c1`), 'tenants/*/calls');
        assert.equal(
          collectionOf(`${root}/tenants/t1/calls/c1/answers/d`),
          'tenants/*/calls/*/answers',
        );
        assert.equal(collectionOf(`${root}/seed_calls/x`), 'seed_calls');
      });
    });
  });
});
