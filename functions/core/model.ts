import type { ApnsEnv, Provider } from './send/push';

/** Domain records, independent of how they are stored. */

export type Platform = 'android' | 'ios' | 'web';

/**
 * A browser's push subscription (RFC 8030): its push resource URI, and the keys RFC 8291
 * encrypts a payload to. Without keys (an RFC 8599 `webpush` phone) pushes carry no payload.
 */
export interface WebPushSubscription {
  endpoint: string;
  p256dh?: string;
  auth?: string;
}

export interface Device {
  deviceId: string;
  extension: string;
  platform: Platform;
  fcmToken?: string;
  voipToken?: string;
  /** HMS Push Kit token (Huawei phones without Google services). */
  hmsToken?: string;
  webPush?: WebPushSubscription;
  appId?: string;
  apnsEnv: ApnsEnv;
  /** Epoch ms of the last registration refresh. */
  lastSeenAt: number;
  /** The Firebase Auth user that registered it through the app API. */
  ownerUid?: string;
}

export type CallStatus =
  | 'ringing'
  /** The extension has been used, but no phone of it is registered now. */
  | 'no_devices'
  /** The extension has never had a device nor a member: a typo, most likely. */
  | 'unknown_extension'
  | 'accepted'
  | 'declined'
  | 'missed'
  | 'cancelled';

/** How one device was reached for one call. */
export interface Delivery {
  platform: Platform;
  provider: Provider;
  /**
   * voip: PushKit via APNs; data: a data-only push (FCM, HMS, or an encrypted Web Push);
   * alert / background: FCM with an APNs alert or background push; wake: a Web Push with no
   * payload (RFC 8599 §12), which only wakes the browser's SIP stack.
   */
  kind: 'voip' | 'data' | 'alert' | 'background' | 'wake';
  /**
   * pending: not recorded yet (being pushed, or left by an instance that died); unknown: the
   * provider never answered (a timeout or a reset), so the phone may ring; failed: the provider
   * refused, or nothing could be sent.
   */
  status: 'pending' | 'accepted' | 'dead_token' | 'unknown' | 'failed';
  attempts: number;
  providerStatus?: number;
  reason?: string;
  /** The provider's message id (or the outbox document, outbox/<id>). */
  providerId?: string;
  pushedAt?: number;
  /** When the provider answered (accepted or refused for good). */
  settledAt?: number;
  /** When the app acknowledged the push. */
  deliveredAt?: number;
  answer?: 'accept' | 'decline';
  answeredAt?: number;
  /** The answer came after the call had already ended. */
  late?: boolean;
}

export interface Call {
  tenant: string;
  callId: string;
  callUuid: string;
  extension: string;
  from?: string;
  fromName?: string;
  sipCallId: string;
  status: CallStatus;
  ringTimeout: number;
  createdAt: number;
  /** Epoch ms when ringing ends: push TTLs and retries stop here. */
  expiresAt: number;
  devices: number;
  pushed: number;
  answeredBy?: string;
  answeredAt?: number;
  endedAt?: number;
  endReason?: CallEndReason;
  deliveries: Record<string, Delivery>;
  /**
   * Who may push the call's pending deliveries: the creating request holds the lease from the
   * create and renews it while its fan-out runs; once it lapses, a PBX retry or the sweeper
   * takes over (core/ring/fanOutLease.ts).
   */
  fanOut?: Lease;
  cancel?: CancelState;
  /** Outcome of each cancel push. */
  cancels?: Record<string, DeliveryResult>;
}

/** Why the call stopped ringing: a cancel reason, or `answered` for the call a phone took. */
export const CALL_END_REASONS = [
  'answered',
  'answered_elsewhere',
  'declined',
  'hangup',
  'timeout',
  'busy',
  'other',
] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];
/** Why the other phones are told to stop: the `reason` of a cancel push. */
export type EndReason = Exclude<CallEndReason, 'answered'>;

/**
 * Who runs a job on the call now (core/call/lease.ts): the fan-out's is `Call.fanOut`; the
 * cancel job's round being sent carries the same fields in `Call.cancel`.
 */
export interface Lease {
  /** Which run holds it. */
  holder: string;
  /** When the holder took it (epoch ms). */
  takenAt: number;
  /** From this time (epoch ms) another run may take the job over. */
  leaseUntil: number;
}

/** The cancel job; while a round is sent, the lease of the run sending it. */
export interface CancelState extends Partial<Lease> {
  state: 'pending' | 'sending' | 'sent';
  reason: EndReason;
  /** Devices to stop ringing in this round. */
  targets: string[];
  sentAt?: number;
  /**
   * Rounds after the first are follow-ups: an incoming push that settled after this job had
   * begun may have reached a phone after its cancel (core/cancel/cancelJobState.ts).
   */
  round?: number;
  /** Devices owed a follow-up once the round being sent is done. */
  more?: string[];
  /** A round not to be sent before this time (see finishCancelPatch). */
  notBefore?: number;
  /** This round waited for pushes still in flight when the previous one was sent. */
  afterInFlight?: boolean;
}

/** The final outcome of one push after its retries. */
export interface DeliveryResult {
  status: Exclude<Delivery['status'], 'pending'>;
  attempts: number;
  providerStatus?: number;
  reason?: string;
  providerId?: string;
  pushedAt: number;
  settledAt: number;
  /** Set when the other APNs environment accepted the token: the device's apnsEnv was wrong. */
  apnsEnv?: ApnsEnv;
}
