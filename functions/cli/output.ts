import type { Output } from './command';

/** Epoch ms as `2025-05-01 12:00:03Z` (seconds are enough for a list). */
export function when(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

/** An ISO time as `12:00:03.120`: a call's timeline happens within seconds. */
export function clock(iso: unknown): string {
  return typeof iso === 'string' ? iso.slice(11, 23) : '-';
}

/** Aligned columns under a header; empty cells show `-`. */
export function table(header: string[], rows: (string | number | undefined)[][]): string[] {
  const cells = [header, ...rows.map((row) => row.map((cell) => String(cell ?? '-') || '-'))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Writes to stdout; a closed pipe (`| head`) ends output quietly. */
export function stdoutOutput(json: boolean): Output {
  const write = (text: string) => {
    process.stdout.write(text);
  };
  return {
    json,
    lines: (lines) => {
      if (lines.length > 0) write(`${lines.join('\n')}\n`);
    },
    data: (value) => {
      write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
