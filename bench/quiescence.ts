/**
 * Quiescence: waits until every function run the Functions emulator began has finished, and
 * none began for a short window, read from the emulator's own log (scripts/bench.mjs copies it
 * to .cache/bench/emulators.log). The emulator logs `Beginning execution of "<key>"` when a
 * worker takes a request or an event and `Finished "<key>" in <n>ms` when it is done
 * (firebase-tools, lib/emulator/functionsRuntimeWorker.js, `request`). A trigger's event reaches
 * the emulator a little after the write that caused it, hence the idle window after the last
 * line: a scenario starts when the one before it, triggers included, has left the machine.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test/support/emulator';
import { sleep } from './stats';

export const EMULATOR_LOG = join(ROOT, '.cache', 'bench', 'emulators.log');

/** No run began or finished for this long, and none is open: quiet. */
const IDLE_MS = 250;
/** A wait gives up after this long (a run that never logs its end), counted in the stats. */
const BOUND_MS = 20_000;
const POLL_MS = 20;

/**
 * Runs quiescence does not wait for: the emulator's task queue dispatches a task at once,
 * whatever its scheduleTime, and callwake's deadline handler asks for it back every second while
 * the call still rings (functions/tasks/onCallDeadline.ts, core/call/deadline.ts), so a ringing call
 * runs it about once a second: no quiet would ever come while one rings. Cloud Tasks
 * dispatches at scheduleTime, once. These runs are still counted (begunSince) and printed.
 */
const NOT_AWAITED = '-onCallDeadline';
const awaited = (key: string) => !key.endsWith(NOT_AWAITED);

const BEGIN = /Beginning execution of "([^"]+)"/;
const FINISH = /Finished "([^"]+)" in /;

export interface QuietStats {
  waits: number;
  /** Waits that hit BOUND_MS with runs still open. */
  timedOut: number;
  /** Total and longest time spent waiting, ms. */
  totalMs: number;
  maxMs: number;
  idleMs: number;
}

export class Quiescence {
  private offset = 0;
  private rest = '';
  private readonly open = new Map<string, number>();
  private lastActivity = 0;
  private begun: string[] = [];
  private readonly record: QuietStats = {
    waits: 0,
    timedOut: 0,
    totalMs: 0,
    maxMs: 0,
    idleMs: IDLE_MS,
  };

  constructor(private readonly file = EMULATOR_LOG) {
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: run the bench through \`npm run bench\`.`);
    }
    this.offset = statSync(file).size;
  }

  /** Function runs begun and not finished, by what the log has said so far. */
  openRuns(): number {
    let n = 0;
    for (const count of this.open.values()) n += count;
    return n;
  }

  /** Reads the log lines written since the last look; true if any began or finished a run. */
  private read(): boolean {
    const size = statSync(this.file).size;
    if (size <= this.offset) return false;
    const fd = openSync(this.file, 'r');
    const buffer = Buffer.alloc(size - this.offset);
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.rest + buffer.toString('utf8')).split('\n');
    this.rest = lines.pop() ?? '';
    let active = false;
    for (const line of lines) {
      const begun = BEGIN.exec(line)?.[1];
      const done = FINISH.exec(line)?.[1];
      if (begun) this.begun.push(begun);
      if ((begun && !awaited(begun)) || (done && !awaited(done))) continue;
      if (begun) this.open.set(begun, (this.open.get(begun) ?? 0) + 1);
      // A run that began before this reader's first look ends without a counted beginning.
      if (done) this.open.set(done, Math.max(0, (this.open.get(done) ?? 0) - 1));
      if (begun || done) active = true;
    }
    return active;
  }

  /** Resolves once quiet (or after BOUND_MS); returns how long it waited. */
  async wait(): Promise<number> {
    const started = Date.now();
    this.lastActivity = started;
    for (;;) {
      if (this.read()) this.lastActivity = Date.now();
      const now = Date.now();
      if (this.openRuns() === 0 && now - this.lastActivity >= IDLE_MS) break;
      if (now - started >= BOUND_MS) {
        this.record.timedOut += 1;
        // A run whose end the log never showed would hold every later wait to the bound.
        this.open.clear();
        break;
      }
      await sleep(POLL_MS);
    }
    const waited = Date.now() - started;
    this.record.waits += 1;
    this.record.totalMs += waited;
    this.record.maxMs = Math.max(this.record.maxMs, waited);
    return waited;
  }

  /** The functions whose runs began since the last call (the log read up to now). */
  begunSince(): string[] {
    this.read();
    const keys = this.begun;
    this.begun = [];
    return keys;
  }

  stats(): QuietStats {
    return { ...this.record };
  }
}
