import { z } from 'zod';
import { AppError } from '../errors';
import type { Provider } from '../send/push';
import {
  appIdSchema,
  deviceRegistrationSchema,
  emptyAsUndefined,
  optional,
  platformSchema,
  VISIBLE_ASCII,
  voipTokenSchema,
  webPushEndpointSchema,
  type DeviceRegistration,
} from '../schemas';
import { validate } from '../validate';

/**
 * RFC 8599 push addresses. A SIP phone puts `pn-provider`, `pn-prid` and
 * `pn-param` in the Contact of its REGISTER; a proxy (integrations/kamailio)
 * hands them on as the fields `pn_provider`, `pn_prid`, `pn_param` of a device
 * registration, and they become an ordinary device here.
 */

/** Whose push credentials this deployment holds: an address must name them. */
export interface PushDeployment {
  /** APNS_TEAM_ID: the Apple team whose .p8 key signs our APNs pushes ('' when unset). */
  apnsTeamId: string;
  /** The Firebase project FCM sends through, by id... */
  fcmProjectId: string;
  /** ...and by number, FCM's sender id (FCM_SENDER_ID; '' when unset). */
  fcmSenderId: string;
  /** The providers it pushes through (PUSH_PROVIDERS): a device needing another is refused. */
  providers: ReadonlySet<Provider>;
}

export const PUSH_ADDRESS_FIELDS = ['pn_provider', 'pn_prid', 'pn_param'] as const;

/** The fields of the token-based registration that a push address replaces. */
const TOKEN_FIELDS = [
  'fcm_token',
  'voip_token',
  'hms_token',
  'webpush_endpoint',
  'webpush_p256dh',
  'webpush_auth',
  'app_id',
  'apns_env',
] as const;

/** `apns.dev` is Linphone's and Flexisip's name for Apple's sandbox (not in RFC 8599). */
const APPLE = { apns: 'production', 'apns.dev': 'sandbox' } as const;
/**
 * The RFC 8599 push services callwake speaks, and which of its providers each needs. HMS has
 * no RFC 8599 name (the IANA registry lists apns, fcm and webpush), so `hms` is refused.
 */
const SUPPORTED: Record<string, Provider> = {
  apns: 'apns',
  'apns.dev': 'apns',
  fcm: 'fcm',
  webpush: 'webpush',
};

/** A URI parameter value as the proxy copied it, RFC 3261 escapes (%XX) undone. */
const uriParam = (max: number) =>
  z
    .string()
    .transform((raw, ctx) => {
      try {
        return decodeURIComponent(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not correctly %-escaped' });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .string()
        .max(max, `must be at most ${max} characters`)
        .regex(VISIBLE_ASCII, 'must be visible ASCII without spaces'),
    );

const required = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema);

/** A push service's name (RFC 8599 §4.1.2 `pn-provider`), compared case-insensitively. */
const providerSchema = uriParam(32)
  .pipe(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be a push service such as apns or fcm'))
  .transform((name) => name.toLowerCase());

const addressSchema = z.object({
  pn_provider: required(providerSchema),
  pn_prid: required(uriParam(4096)),
  // Required by apns and fcm; webpush must not have one (RFC 8599 §12).
  pn_param: optional(uriParam(512)),
  platform: optional(platformSchema),
});

type Address = z.output<typeof addressSchema>;
interface Issue {
  path: (typeof PUSH_ADDRESS_FIELDS)[number] | 'platform';
  message: string;
}
type Interpretation = { registration: DeviceRegistration } | { issue: Issue };

// How Flexisip reads an Apple pn-param (src/pushnotification/rfc8599-push-params.cc): before
// the first dot the team id, after the last dot the services (voip, remote, joined by &), the
// bundle id in between. RFC 8599 §10's `<TeamID>.<bundle>.voip` is the one-service case.
const APNS_PARAM = /^([^.]+)\.(.+)\.((?:voip|remote)(?:&(?:voip|remote))*)$/;
// A topic without a service: Flexisip (and Apple) take it as a regular `remote` push.
const APNS_PARAM_NO_SERVICE = /^([^.]+)\.(.+)$/;
// pn-prid: one token, optionally `:service`; or Linphone's `<token>:voip&<token>:remote`, where
// each token must name its service (an untagged one among several is refused below).
const TOKEN = /^([^:]+)(?::(voip|remote))?$/;

function apple(address: Address, deployment: PushDeployment): Interpretation {
  const issue = (path: Issue['path'], message: string) => ({ issue: { path, message } });
  const param = address.pn_param ?? '';
  const match = APNS_PARAM.exec(param) ?? APNS_PARAM_NO_SERVICE.exec(param);
  if (!match) {
    return issue('pn_param', 'must be <TeamID>.<bundle id>.voip (RFC 8599 §10) or voip&remote');
  }
  const [, team = '', bundle = '', serviceList = 'remote'] = match;
  if (!deployment.apnsTeamId || team !== deployment.apnsTeamId) {
    return issue('pn_param', "does not name this deployment's APNs team (APNS_TEAM_ID)");
  }
  if (!appIdSchema.safeParse(bundle).success) return issue('pn_param', 'has an invalid bundle id');
  const services = serviceList.split('&');
  if (new Set(services).size !== services.length) {
    return issue('pn_param', 'names a service twice');
  }
  if (!services.includes('voip')) {
    return issue(
      'pn_param',
      'must offer the voip service: callwake rings iPhones with VoIP pushes',
    );
  }
  const tokens = address.pn_prid.split('&');
  if (tokens.length !== services.length) {
    return issue('pn_prid', `must hold one token per service in pn_param (${services.length})`);
  }
  const byService = new Map<string, string>();
  for (const entry of tokens) {
    const match = TOKEN.exec(entry);
    const service = match?.[2] ?? (tokens.length === 1 ? services[0] : undefined);
    if (!match?.[1] || service === undefined || !services.includes(service)) {
      return issue('pn_prid', 'must be <token> or <token>:voip&<token>:remote, as pn_param says');
    }
    if (byService.has(service)) return issue('pn_prid', 'names a service twice');
    byService.set(service, match[1]);
  }
  const voip = voipTokenSchema.safeParse(byService.get('voip'));
  if (!voip.success) {
    return issue('pn_prid', 'must carry the hex PushKit token (64-200 hex digits) for voip');
  }
  if (address.platform && address.platform !== 'ios') {
    return issue('platform', 'must be ios for APNs');
  }
  return {
    registration: {
      platform: 'ios',
      voip_token: voip.data,
      app_id: bundle,
      apns_env: APPLE[address.pn_provider as keyof typeof APPLE],
    },
  };
}

function fcm(address: Address, deployment: PushDeployment): Interpretation {
  const project = address.pn_param;
  if (
    project === undefined ||
    (project !== deployment.fcmProjectId && project !== (deployment.fcmSenderId || undefined))
  ) {
    const message = "must name this deployment's Firebase project, by id or number (FCM_SENDER_ID)";
    return { issue: { path: 'pn_param', message } };
  }
  // pn_prid passed uriParam(4096): at most 4096 visible ASCII characters, fcmTokenSchema's rule.
  if (address.platform === 'web') {
    return { issue: { path: 'platform', message: 'must be android or ios for FCM' } };
  }
  return {
    registration: {
      platform: address.platform ?? 'android',
      fcm_token: address.pn_prid,
    },
  };
}

/**
 * RFC 8599 §12: pn-prid is the push resource URI (the subscription's endpoint) and pn-param is
 * not used. The phone gave no encryption keys, so its pushes carry no payload: one only wakes
 * its SIP stack, which registers and gets the INVITE.
 */
function webPush(address: Address): Interpretation {
  const issue = (path: Issue['path'], message: string) => ({ issue: { path, message } });
  if (address.pn_param !== undefined) {
    return issue('pn_param', 'must be absent for webpush (RFC 8599 §12)');
  }
  const endpoint = webPushEndpointSchema.safeParse(address.pn_prid);
  if (!endpoint.success) {
    return issue('pn_prid', 'must be the push subscription URI (an https URL)');
  }
  if (address.platform && address.platform !== 'web') {
    return issue('platform', 'must be web for webpush');
  }
  return { registration: { platform: 'web', webpush_endpoint: endpoint.data } };
}

/** The schema of an RFC 8599 registration for this deployment, output as a token registration. */
export function pushAddressSchema(deployment: PushDeployment) {
  return addressSchema.transform((address, ctx): DeviceRegistration => {
    const provider = address.pn_provider;
    const result: Interpretation =
      provider === 'fcm'
        ? fcm(address, deployment)
        : provider === 'webpush'
          ? webPush(address)
          : Object.hasOwn(APPLE, provider)
            ? apple(address, deployment)
            : { issue: { path: 'pn_provider', message: 'is not supported' } };
    if ('registration' in result) return result.registration;
    ctx.addIssue({ code: 'custom', path: [result.issue.path], message: result.issue.message });
    return z.NEVER;
  });
}

/** Which provider each token field of a registration is pushed through. */
const TOKEN_PROVIDERS = [
  ['voip_token', 'apns'],
  ['fcm_token', 'fcm'],
  ['hms_token', 'hms'],
  ['webpush_endpoint', 'webpush'],
] as const;

function unsupported(field: string, message: string): AppError {
  return new AppError('unsupported_provider', `${field}: ${message}`, { [field]: message });
}

/** Refuses a registration that needs a provider this deployment does not push through. */
function requireDeployed(
  registration: DeviceRegistration,
  deployment: PushDeployment,
): DeviceRegistration {
  for (const [field, provider] of TOKEN_PROVIDERS) {
    if (registration[field] && !deployment.providers.has(provider)) {
      const message = `this deployment does not push through ${provider} (PUSH_PROVIDERS)`;
      throw unsupported(field, message);
    }
  }
  return registration;
}

/**
 * A device registration body, with either the token fields (platform,
 * fcm_token, voip_token, ...) or an RFC 8599 push address (pn_*). Throws
 * `unsupported_provider` for a push service callwake does not speak or this
 * deployment does not push through (the proxy answers the REGISTER 555),
 * `invalid_argument` naming the field for anything else wrong.
 */
export function parseDeviceRegistration(
  body: Record<string, unknown>,
  deployment: PushDeployment,
): DeviceRegistration {
  const present = (field: string) => emptyAsUndefined(body[field]) !== undefined;
  if (!PUSH_ADDRESS_FIELDS.some(present)) {
    return requireDeployed(validate(deviceRegistrationSchema, body), deployment);
  }
  const mixed = TOKEN_FIELDS.find(present);
  if (mixed !== undefined) {
    const message = 'give either the pn_* fields or the token fields, not both';
    throw new AppError('invalid_argument', `${mixed}: ${message}`, { [mixed]: message });
  }
  const provider = required(providerSchema).safeParse(body.pn_provider);
  if (provider.success) {
    const needs = Object.hasOwn(SUPPORTED, provider.data) ? SUPPORTED[provider.data] : undefined;
    const spoken = Object.entries(SUPPORTED)
      .filter(([, needed]) => deployment.providers.has(needed))
      .map(([name]) => name)
      .join(', ');
    if (needs === undefined || !deployment.providers.has(needs)) {
      const why = needs === undefined ? 'is not supported' : 'is not enabled in this deployment';
      throw unsupported(
        'pn_provider',
        `${provider.data} ${why}: callwake pushes through ${spoken}`,
      );
    }
  }
  return requireDeployed(validate(pushAddressSchema(deployment), body), deployment);
}
