/** What a push looks like on the wire, shared by live delivery and the outbox. */

export type Provider = 'fcm' | 'apns';
export type ApnsEnv = 'production' | 'sandbox';

/**
 * One push rendered exactly as the provider receives it, minus credentials
 * (the FCM OAuth bearer and the APNs JWT are added by the sender).
 */
export interface RenderedPush {
  provider: Provider;
  /** Full request URL; for APNs it ends with the device token. */
  url: string;
  method: 'POST';
  /** Request headers other than authorization. */
  headers: Record<string, string>;
  /** JSON request body. */
  body: Record<string, unknown>;
  /** The device token this push targets (never logged; masked in the outbox). */
  token: string;
  /** Set for APNs pushes: which Apple host the device's token belongs to. */
  apnsEnv?: ApnsEnv;
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
