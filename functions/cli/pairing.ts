import { renderUnicodeCompact } from 'uqr';
import { extensionSchema } from '../core/schemas';
import { hashPairingCode, newPairingCode, pairUri, PAIRING_TTL_MS } from '../core/pairing';
import { FirestorePairingStore } from '../store/pairingStore';
import { checked, emit, type Command, type Invocation } from './command';
import { existingTenant } from './context';

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
  const expires = new Date(expiresAt).toISOString();
  emit(
    inv,
    () => ({ code, tenant, extension, expires_at: expires, pair_uri: uri }),
    () => [
      `Pairing code for extension ${extension} of tenant ${tenant}: ${code}`,
      `Valid once, until ${expires.slice(0, 19).replace('T', ' ')}Z (${PAIRING_TTL_MS / 60_000} minutes). Scan it in the app, or type the code:`,
      '',
      ...(inv.values['no-qr'] ? [] : [renderUnicodeCompact(uri, { border: 2 }), '']),
      uri,
    ],
  );
}

export const pairingCommands: Command[] = [
  {
    name: 'pairing create',
    args: ['tenant', 'extension'],
    options: ['no-qr'],
    summary: 'a one-time pairing code for the app, with its QR code',
    run: createPairingCode,
  },
];
