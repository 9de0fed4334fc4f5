import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderUnicodeCompact } from 'uqr';
import { pngOf, pngQr, qrModules, QUIET_ZONE, svgQr, terminalQr } from '../../../functions/cli/qr';

const URI = 'callwake://pair?code=ABCDE-FGHIJ&tenant=acme&extension=1001';
const dir = mkdtempSync(join(tmpdir(), 'callwake-qr-'));

/** What Debian's zbarimg reads in a PNG file, or '' when it finds no code. */
function decode(png: Buffer, name: string): string {
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
function screen(text: string, theme: 'light' | 'dark', scale = 6): number[][] {
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

describe('the pairing QR code', () => {
  let modules: boolean[][];
  before(async () => {
    modules = await qrModules(URI);
  });

  it('has a 4-module quiet zone of light modules', () => {
    assert.equal(QUIET_ZONE, 4);
    const size = modules.length;
    for (let i = 0; i < size; i += 1) {
      for (const band of [0, 1, 2, 3, size - 4, size - 3, size - 2, size - 1]) {
        assert.equal(modules[band]?.[i], false, `row ${band}`);
        assert.equal(modules[i]?.[band], false, `column ${band}`);
      }
    }
    assert.equal(modules[4]?.[4], true, 'the finder pattern starts after the quiet zone');
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`scans as printed in a terminal with a ${theme} background`, () => {
      assert.equal(decode(pngOf(screen(terminalQr(modules), theme)), `terminal-${theme}.png`), URI);
    });
  }

  it('is a test that fails for a code drawn in the terminal own colours on one background', () => {
    const own = renderUnicodeCompact(URI, { border: QUIET_ZONE });
    const read = (['light', 'dark'] as const).map((theme) =>
      decode(pngOf(screen(own, theme)), `own-${theme}.png`),
    );
    assert.ok(read.includes(''), `decoded on both: ${read.join(' / ')}`);
  });

  it('writes the same code as a PNG file', () => {
    assert.equal(decode(pngQr(modules), 'code.png'), URI);
  });

  it('writes the same code as an SVG file: one dark square per dark module, on white', () => {
    const svg = svgQr(modules, 10);
    assert.match(svg, /<rect fill="#fff"/);
    const drawn = new Set([...svg.matchAll(/M(\d+),(\d+)h/g)].map((m) => `${m[1]},${m[2]}`));
    const expected = modules.flatMap((row, y) =>
      row.flatMap((dark, x) => (dark ? [`${x * 10},${y * 10}`] : [])),
    );
    assert.deepEqual([...drawn].sort(), expected.sort());
    // Drawn back as pixels, it scans.
    const pixels = modules.map((row, y) =>
      row.map((_, x) => (drawn.has(`${x * 10},${y * 10}`) ? 0 : 255)),
    );
    const scaled = pixels.flatMap((row) => {
      const line = row.flatMap((p) => Array<number>(8).fill(p));
      return Array.from({ length: 8 }, () => line);
    });
    assert.equal(decode(pngOf(scaled), 'svg-drawn.png'), URI);
  });
});
