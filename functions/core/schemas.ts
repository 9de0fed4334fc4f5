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

export const platformSchema = choice(['android', 'ios']);

export const deviceRegistrationSchema = z
  .object({
    platform: platformSchema,
    fcm_token: optional(fcmTokenSchema),
    voip_token: optional(voipTokenSchema),
    app_id: optional(appIdSchema),
    // Absent: the device keeps the environment it has (a VoIP push may have corrected it);
    // a new device starts at production.
    apns_env: optional(choice(['production', 'sandbox'])),
  })
  .superRefine((device, ctx) => {
    if (!device.fcm_token && !device.voip_token) {
      ctx.addIssue({
        code: 'custom',
        path: ['fcm_token'],
        message: 'fcm_token or voip_token is required',
      });
    }
    if (device.platform === 'android' && device.voip_token) {
      ctx.addIssue({ code: 'custom', path: ['voip_token'], message: 'is only for ios devices' });
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
