import { encode } from 'uqr';
import { s } from './dom';

/**
 * A QR code drawn as SVG rectangles from uqr's module matrix (the same library the CLI draws
 * its terminal QR code with), with a quiet zone of four modules as the standard asks.
 */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const { data, size } = encode(text, { ecc: 'M' });
  const quiet = 4;
  const side = size + quiet * 2;
  const svg = s('svg', {
    viewBox: `0 0 ${side} ${side}`,
    class: 'qr',
    role: 'img',
    'aria-label': label,
    'shape-rendering': 'crispEdges',
  });
  svg.appendChild(s('rect', { width: side, height: side, fill: '#fff' }));
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark)
        svg.appendChild(
          s('rect', { x: x + quiet, y: y + quiet, width: 1, height: 1, fill: '#000' }),
        );
    });
  });
  return svg;
}
