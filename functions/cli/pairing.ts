import { writeFileSync } from 'node:fs';
import { extensionSchema } from '../core/schemas';
import { hashPairingCode, newPairingCode, pairUri, PAIRING_TTL_MS } from '../core/access/pairing';
import { FirestorePairingStore } from '../store/pairingStore';
import { checked, emit, type Command, type Invocation } from './command';
import { existingTenant } from './context';
import { UsageError } from './errors';
import { pngQr, qrModules, svgQr, terminalQr } from './qr';

/** A one-time pairing code for an extension, with the QR code the app scans. */
async function createPairingCode(inv: Invocation): Promise<void> {
  const tenant = (await existingTenant(inv.ctx, inv.args.tenant ?? '')).id;
  const extension = checked(extensionSchema, 'extension', inv.args.extension ?? '');
  const code = newPairingCode();
  const expiresAt = Date.now() + PAIRING_TTL_MS;
  await new FirestorePairingStore(inv.ctx.db).create(hashPairingCode(code), {
    tenant,
    extension,
    expiresAt,
  });
  const uri = pairUri(code, tenant, extension);
  const file = inv.values['qr-file'];
  if (file !== undefined && !/\.(png|svg)$/i.test(file)) {
    throw new UsageError(`--qr-file must name a .png or a .svg file: "${file}".`);
  }
  const modules = await qrModules(uri);
  if (file !== undefined) {
    writeFileSync(file, /\.png$/i.test(file) ? pngQr(modules) : svgQr(modules));
  }
  const expires = new Date(expiresAt).toISOString();
  emit(
    inv,
    () => ({ code, tenant, extension, expires_at: expires, pair_uri: uri }),
    () => [
      `Pairing code for extension ${extension} of tenant ${tenant}: ${code}`,
      `Valid once, until ${expires.slice(0, 19).replace('T', ' ')}Z (${PAIRING_TTL_MS / 60_000} minutes). Scan it in the app, or type the code:`,
      '',
      ...(inv.values['no-qr'] ? [] : [terminalQr(modules), '']),
      uri,
      ...(file === undefined ? [] : [`The same QR code is in ${file}.`]),
    ],
  );
}

export const pairingCommands: Command[] = [
  {
    name: 'pairing create',
    args: ['tenant', 'extension'],
    options: ['no-qr', 'qr-file'],
    summary: 'a one-time pairing code for the app, with its QR code',
    run: createPairingCode,
  },
];
