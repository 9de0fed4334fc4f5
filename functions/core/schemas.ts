import { ECDH } from 'node:crypto';
import { z } from 'zod';

/**
 * Request schemas: every field the API accepts, checked at the boundary.
 * Form posts carry every value as a string, and an unset dialplan variable
 * arrives as an empty string, so optional fields treat '' (and JSON null) as absent.
 */

export const emptyAsUndefined = (value: unknown): unknown =>
  value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value;

export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess(emptyAsUndefined, schema.optional());

/**
 * One of `values`, in any letter case and with spaces around trimmed (`iOS` is `ios`), as forms
 * and JSON alike send it; empty is absent.
 */
export const choice = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (value) => {
      if (typeof value !== 'string') return value;
      const trimmed = value.trim().toLowerCase();
      return trimmed === '' ? undefined : trimmed;
    },
    z.enum(values, { error: `must be one of ${values.join(', ')}` }),
  );

/** Visible ASCII, no spaces: what SIP user parts, Call-IDs and tokens are made of. */
export const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

// Firestore document ids may not contain '/', be '.' or '..', or look like __x__.
const docIdSafe = (value: string) =>
  !value.includes('/') && !/^\.\.?$/.test(value) && !/^__.*__$/.test(value);

export const extensionSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.+*#-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . + * # -')
  .refine(docIdSafe, 'is not a valid extension');

export const deviceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 _ . : -')
  .refine(docIdSafe, 'is not a valid device id');

/** Tenant ids, as the pushes and pairing carry them. */
export const tenantSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a tenant id')
  .refine(docIdSafe, 'is not a valid tenant id');

/** Firebase Auth uids: up to 128 characters, no slashes. */
export const uidSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be a Firebase Auth uid')
  .refine(docIdSafe, 'is not a valid uid');

export const callIdSchema = z
  .string()
  .min(1, 'is required')
  .max(256, 'must be at most 256 characters')
  .regex(VISIBLE_ASCII, 'must be visible ASCII without spaces');

export const fcmTokenSchema = z
  .string()
  .max(4096, 'must be at most 4096 characters')
  .regex(VISIBLE_ASCII, 'must be visible ASCII without spaces');

// APNs device tokens are hex (64 characters today; Apple says they may grow).
export const voipTokenSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64,200}$/, 'must be the hex PushKit token (64-200 hex digits)')
  .transform((token) => token.toLowerCase());

/** HMS Push Kit tokens: opaque, about 130 characters today. */
export const hmsTokenSchema = z
  .string()
  .max(1024, 'must be at most 1024 characters')
  .regex(VISIBLE_ASCII, 'must be visible ASCII without spaces');

/**
 * A push subscription's endpoint (RFC 8030 push resource): an https URL, as the browser gave
 * it. Where it may point is checked apart (core/devices/webPushEndpoint.ts): here only its form.
 */
export const webPushEndpointSchema = z
  .string()
  .max(1024, 'must be at most 1024 characters')
  .regex(VISIBLE_ASCII, 'must be visible ASCII without spaces')
  .superRefine((value, ctx) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    const problem = !url
      ? 'must be a URL'
      : url.protocol !== 'https:'
        ? 'must be an https URL'
        : url.username !== '' || url.password !== '' || url.hash !== ''
          ? 'must have no user name, password or fragment'
          : null;
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const base64url = (value: string) => Buffer.from(value.replace(/=+$/, ''), 'base64url');

/** The subscription's P-256 key (`keys.p256dh`): an uncompressed point on the curve, base64url. */
export const webPushP256dhSchema = z
  .string()
  .regex(BASE64URL, 'must be base64url (PushSubscription.toJSON().keys.p256dh)')
  .refine((value) => {
    const key = base64url(value);
    if (key.length !== 65 || key[0] !== 4) return false;
    try {
      ECDH.convertKey(key, 'prime256v1'); // throws for a point not on the curve
      return true;
    } catch {
      return false;
    }
  }, 'must be an uncompressed P-256 public key (65 bytes)');

/** The subscription's authentication secret (`keys.auth`): 16 bytes (RFC 8291 §3.2), base64url. */
export const webPushAuthSchema = z
  .string()
  .regex(BASE64URL, 'must be base64url (PushSubscription.toJSON().keys.auth)')
  .refine((value) => base64url(value).length === 16, 'must be 16 bytes');

export const appIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$/, 'must be a package name or bundle id');

const displaySchema = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    // Control characters would corrupt notification text and log lines.
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .transform((value) => value.trim());

export const platformSchema = choice(['android', 'ios', 'web']);

/** Which token fields each platform takes. */
const PLATFORM_TOKENS = {
  android: ['fcm_token', 'hms_token'],
  ios: ['fcm_token', 'voip_token'],
  web: ['webpush_endpoint'],
} as const;
const TOKEN_FIELDS = ['fcm_token', 'voip_token', 'hms_token', 'webpush_endpoint'] as const;

export const deviceRegistrationSchema = z
  .object({
    platform: platformSchema,
    fcm_token: optional(fcmTokenSchema),
    voip_token: optional(voipTokenSchema),
    hms_token: optional(hmsTokenSchema),
    // A browser's PushSubscription, flat: endpoint, keys.p256dh, keys.auth.
    webpush_endpoint: optional(webPushEndpointSchema),
    webpush_p256dh: optional(webPushP256dhSchema),
    webpush_auth: optional(webPushAuthSchema),
    app_id: optional(appIdSchema),
    // Absent: the device keeps the environment it has (a VoIP push may have corrected it);
    // a new device starts at production.
    apns_env: optional(choice(['production', 'sandbox'])),
  })
  .superRefine((device, ctx) => {
    const taken: readonly string[] = PLATFORM_TOKENS[device.platform];
    if (!TOKEN_FIELDS.some((field) => device[field])) {
      ctx.addIssue({
        code: 'custom',
        path: [taken[0] ?? 'fcm_token'],
        message: `${taken.join(' or ')} is required`,
      });
    }
    for (const field of TOKEN_FIELDS) {
      if (device[field] && !taken.includes(field)) {
        const platforms = Object.entries(PLATFORM_TOKENS)
          .filter(([, fields]) => (fields as readonly string[]).includes(field))
          .map(([platform]) => platform);
        const message = `is only for ${platforms.join(' and ')} devices`;
        ctx.addIssue({ code: 'custom', path: [field], message });
      }
    }
    if (device.fcm_token && device.hms_token) {
      const message = 'give fcm_token or hms_token, not both (a phone rings through one of them)';
      ctx.addIssue({ code: 'custom', path: ['hms_token'], message });
    }
    // Without keys (as RFC 8599 phones register) the pushes carry no payload: both or neither.
    const keys = [device.webpush_p256dh, device.webpush_auth].filter(Boolean).length;
    if (keys === 1) {
      const missing = device.webpush_p256dh ? 'webpush_auth' : 'webpush_p256dh';
      const message = 'is required with the other subscription key';
      ctx.addIssue({ code: 'custom', path: [missing], message });
    }
    if (keys > 0 && !device.webpush_endpoint) {
      const message = 'is required with the subscription keys';
      ctx.addIssue({ code: 'custom', path: ['webpush_endpoint'], message });
    }
    if (device.voip_token && !device.app_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['app_id'],
        message: 'is required with voip_token (the iOS bundle id names the APNs topic)',
      });
    }
  });

export type DeviceRegistration = z.infer<typeof deviceRegistrationSchema>;

export const RING_TIMEOUT = { min: 5, max: 120, default: 30 } as const;

export const incomingCallSchema = z.object({
  call_id: callIdSchema,
  to: extensionSchema,
  from: optional(displaySchema(128)),
  from_name: optional(displaySchema(128)),
  sip_call_id: optional(callIdSchema),
  ring_timeout: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(RING_TIMEOUT.min, `must be at least ${RING_TIMEOUT.min} seconds`)
      .max(RING_TIMEOUT.max, `must be at most ${RING_TIMEOUT.max} seconds`)
      .default(RING_TIMEOUT.default),
  ),
});

export type IncomingCallRequest = z.infer<typeof incomingCallSchema>;
