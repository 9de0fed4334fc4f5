import { deflateSync } from 'node:zlib';

/** The quiet zone the QR standard asks for (ISO/IEC 18004: 4 modules). */
export const QUIET_ZONE = 4;

/** The code's modules, quiet zone included: `true` is dark. */
export async function qrModules(text: string): Promise<boolean[][]> {
  const { encode } = await import('uqr');
  return encode(text, { border: QUIET_ZONE }).data;
}

// 256-colour black and white: set explicitly, so the code reads the same on a dark or a light
// terminal (the terminal's own foreground and background would swap its colours on one of them).
const BLACK = 16;
const WHITE = 231;

/**
 * The code for a terminal: two modules per character cell (an upper half block whose foreground
 * is the upper module and whose background the lower), every cell coloured, dark on light.
 */
export function terminalQr(modules: boolean[][]): string {
  const colour = (dark: boolean | undefined) => (dark ? BLACK : WHITE);
  const lines: string[] = [];
  for (let row = 0; row < modules.length; row += 2) {
    const top = modules[row] ?? [];
    const bottom = modules[row + 1] ?? [];
    let line = '';
    for (let col = 0; col < top.length; col += 1) {
      line += `\x1b[38;5;${colour(top[col])};48;5;${colour(bottom[col])}m\u2580`;
    }
    lines.push(`${line}\x1b[0m`);
  }
  return lines.join('\n');
}

/** The code as an SVG document, `scale` units per module. */
export function svgQr(modules: boolean[][], scale = 10): string {
  const size = modules.length * scale;
  const dark = modules.flatMap((row, y) =>
    row.flatMap((on, x) => (on ? [`M${x * scale},${y * scale}h${scale}v${scale}h-${scale}z`] : [])),
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}">` +
    `<rect fill="#fff" width="${size}" height="${size}"/><path fill="#000" d="${dark.join('')}"/></svg>\n`
  );
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A grey-level image (0 black, 255 white) as a PNG file: 8-bit greyscale, one filter byte per
 * row (PNG spec, sections 11.2.2 IHDR and 12.3 filtering, filter type 0), zlib-compressed.
 */
export function pngOf(pixels: number[][]): Buffer {
  const height = pixels.length;
  const width = pixels[0]?.length ?? 0;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  const raw = Buffer.concat(pixels.map((row) => Buffer.from([0, ...row])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The code as a PNG file, `scale` pixels per module. */
export function pngQr(modules: boolean[][], scale = 8): Buffer {
  const pixels = modules.flatMap((row) => {
    const line = row.flatMap((dark) => Array<number>(scale).fill(dark ? 0 : 255));
    return Array.from({ length: scale }, () => line);
  });
  return pngOf(pixels);
}
