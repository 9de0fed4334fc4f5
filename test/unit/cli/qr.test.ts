import assert from 'node:assert/strict';
import { renderUnicodeCompact } from 'uqr';
import { pngOf, pngQr, qrModules, QUIET_ZONE, svgQr, terminalQr } from '../../../functions/cli/qr';
import { decodeQr as decode, screen } from '../../support/terminalScreen';

const URI = 'callwake://pair?code=ABCDE-FGHIJ&tenant=acme&extension=1001';

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
