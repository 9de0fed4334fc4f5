/** What a push looks like on the wire, shared by live delivery and the outbox. */

export type Provider = 'fcm' | 'apns' | 'webpush' | 'hms';

/** Every provider, in the order docs and configuration list them. */
export const PROVIDERS: readonly Provider[] = ['fcm', 'apns', 'webpush', 'hms'];
export type ApnsEnv = 'production' | 'sandbox';

/**
 * One push rendered exactly as the provider receives it, minus credentials (the FCM and HMS
 * OAuth bearers, the APNs JWT and the VAPID JWT are added by the sender) and, for Web Push,
 * before the sender encrypts `body` to the subscription's keys (RFC 8291).
 */
export interface RenderedPush {
  provider: Provider;
  /** Full request URL; for APNs it ends with the device token. */
  url: string;
  method: 'POST';
  /** Request headers other than authorization. */
  headers: Record<string, string>;
  /** JSON request body (for Web Push: the payload, as JSON, before encryption). */
  body: Record<string, unknown>;
  /**
   * The device token this push targets (never logged; masked in the outbox). For Web Push, the
   * subscription's endpoint (`url`), which is as good as a token.
   */
  token: string;
  /** Set for APNs pushes: which Apple host the device's token belongs to. */
  apnsEnv?: ApnsEnv;
  /**
   * Set for Web Push pushes with a payload: the subscription's keys `body` is encrypted to.
   * Absent on a Web Push push, it carries no payload at all (RFC 8599 §12). Secret: `auth`
   * lets whoever holds it with the endpoint read the pushes.
   */
  webPushKeys?: { p256dh: string; auth: string };
}

/** The provider's verdict on one send attempt. Senders never throw for provider errors. */
export type SendResult =
  /** `status`: the provider's HTTP status; none when nothing was sent (the outbox). */
  | { kind: 'accepted'; status?: number; providerId?: string }
  /** The token is dead for good: remove it (FCM UNREGISTERED, APNs 410, BadDeviceToken, ...). */
  | { kind: 'dead_token'; status: number; reason: string }
  | {
      kind: 'failed';
      /** Worth another attempt (5xx, 429, reset, timeout, expired provider token). */
      retryable: boolean;
      status?: number;
      reason: string;
      /** The provider's Retry-After, in milliseconds, when it sent one. */
      retryAfterMs?: number;
    };

/** Who a push is for; the outbox stores it beside the push, live senders ignore it. */
export interface PushMeta {
  tenant: string;
  callId: string;
  callUuid: string;
  deviceId: string;
}

/** Sends one rendered push. Must settle by `deadline` (epoch ms), aborting the request if needed. */
export interface PushSender {
  send(push: RenderedPush, deadline: number, meta?: PushMeta): Promise<SendResult>;
}
