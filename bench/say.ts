/** The bench's terminal lines: scripts/bench.mjs shows only those carrying its mark. */
const MARK = process.env.CALLWAKE_BENCH_MARK ?? '';

export function say(text: string): void {
  for (const line of text.split('\n')) process.stdout.write(`${MARK}${line}\n`);
}
