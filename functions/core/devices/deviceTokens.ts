import type { Device } from '../model';

/**
 * The push tokens a device can hold, one description per kind, so that whatever keeps tokens
 * unique, moves or drops them (the device stores, the access rules) treats every kind alike,
 * those to come included. A Web Push subscription's token is its endpoint: the keys beside it
 * mean nothing without it, and go with it.
 */
export const TOKEN_KINDS = [
  { kind: 'fcm', field: 'fcmToken', path: 'fcmToken' },
  { kind: 'voip', field: 'voipToken', path: 'voipToken' },
  { kind: 'hms', field: 'hmsToken', path: 'hmsToken' },
  { kind: 'webpush', field: 'webPush', path: 'webPush.endpoint' },
] as const;

export type TokenKind = (typeof TOKEN_KINDS)[number]['kind'];

/** One token a device holds: its kind, where a store finds it (a dotted field path), its value. */
export interface HeldToken {
  kind: TokenKind;
  path: string;
  token: string;
}

const valueOf = (device: Partial<Device>, kind: TokenKind): string | undefined => {
  switch (kind) {
    case 'fcm':
      return device.fcmToken;
    case 'voip':
      return device.voipToken;
    case 'hms':
      return device.hmsToken;
    case 'webpush':
      return device.webPush?.endpoint;
  }
};

/** The tokens `device` holds, in TOKEN_KINDS order. */
export function tokensOf(device: Partial<Device>): HeldToken[] {
  return TOKEN_KINDS.flatMap(({ kind, path }) => {
    const token = valueOf(device, kind);
    return token ? [{ kind, path, token }] : [];
  });
}

/**
 * `device` without any token in `tokens` (and what belongs to it), or null when it would hold
 * no token at all: a device with no way to reach it is deleted, not kept.
 */
export function withoutTokens<D extends Partial<Device>>(
  device: D,
  tokens: ReadonlySet<string>,
): D | null {
  const dropped = new Set<string>(
    TOKEN_KINDS.filter(({ kind }) => {
      const token = valueOf(device, kind);
      return token !== undefined && tokens.has(token);
    }).map(({ field }) => field),
  );
  const kept = Object.fromEntries(
    Object.entries(device).filter(([field]) => !dropped.has(field)),
  ) as D;
  return tokensOf(kept).length > 0 ? kept : null;
}

/** Whether `device` holds `token`, of any kind. */
export const holdsToken = (device: Partial<Device>, token: string): boolean =>
  tokensOf(device).some((held) => held.token === token);
