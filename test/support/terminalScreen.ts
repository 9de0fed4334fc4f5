import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pngOf } from '../../functions/cli/qr';

const dir = mkdtempSync(join(tmpdir(), 'callwake-qr-'));

/** What Debian's zbarimg reads in a PNG file, or '' when it finds no code. */
export function decodeQr(png: Buffer, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, png);
  try {
    return execFileSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // zbarimg exits 4 when it finds no code
  }
}

const BLACK = 0;
const WHITE = 255;
/** The 256-colour palette's black (16) and white (231), as a terminal shows them. */
const grey = (index: number) => (index === 16 ? BLACK : index === 231 ? WHITE : 128);

/**
 * The pixels a terminal shows for `text`: two per character cell (upper and lower half), from
 * its 256-colour escapes, or the terminal's own colours where the text sets none. Block
 * characters are drawn in the foreground colour, the rest of the cell in the background.
 */
export function screen(text: string, theme: 'light' | 'dark', scale = 6): number[][] {
  const own = theme === 'light' ? { fg: BLACK, bg: WHITE } : { fg: WHITE, bg: BLACK };
  const rows: number[][] = [];
  for (const line of text.split('\n')) {
    let fg = own.fg;
    let bg = own.bg;
    const top: number[] = [];
    const bottom: number[] = [];
    // eslint-disable-next-line no-control-regex -- terminal escapes are what it reads
    for (const match of line.matchAll(/\x1b\[([\d;]*)m|([^\x1b])/g)) {
      if (match[1] !== undefined) {
        const codes = match[1].split(';').map(Number);
        if (codes[0] === 0 || match[1] === '') ({ fg, bg } = own);
        for (let i = 0; i < codes.length; i += 1) {
          if (codes[i] === 38 && codes[i + 1] === 5) fg = grey(codes[i + 2] ?? -1);
          if (codes[i] === 48 && codes[i + 1] === 5) bg = grey(codes[i + 2] ?? -1);
        }
        continue;
      }
      const char = match[2];
      const [upper, lower] =
        char === '\u2580'
          ? [fg, bg]
          : char === '\u2584'
            ? [bg, fg]
            : char === '\u2588'
              ? [fg, fg]
              : [bg, bg];
      top.push(...Array<number>(scale).fill(upper));
      bottom.push(...Array<number>(scale).fill(lower));
    }
    for (let i = 0; i < scale; i += 1) rows.push(top);
    for (let i = 0; i < scale; i += 1) rows.push(bottom);
  }
  // A margin of the terminal's background around what was printed.
  const width = (rows[0]?.length ?? 0) + 4 * scale;
  const margin = () => Array<number>(width).fill(own.bg);
  const pad = Array<number>(2 * scale).fill(own.bg);
  return [
    ...Array.from({ length: 2 * scale }, margin),
    ...rows.map((row) => [...pad, ...row, ...pad]),
    ...Array.from({ length: 2 * scale }, margin),
  ];
}

/** What zbarimg reads in `text` as a terminal with a `theme` background shows it. */
export function scanTerminal(text: string, theme: 'light' | 'dark', name: string): string {
  return decodeQr(pngOf(screen(text, theme)), `${name}-${theme}.png`);
}
