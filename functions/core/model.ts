import type { ApnsEnv, Provider } from './push';

/** Domain records, independent of how they are stored. */

export type Platform = 'android' | 'ios';

export interface Device {
  deviceId: string;
  extension: string;
  platform: Platform;
  fcmToken?: string;
  voipToken?: string;
  appId?: string;
  apnsEnv: ApnsEnv;
  /** Epoch ms of the last registration refresh. */
  lastSeenAt: number;
}

export type CallStatus =
  'ringing' | 'no_devices' | 'accepted' | 'declined' | 'missed' | 'cancelled';

/** How one device was reached for one call. */
export interface Delivery {
  platform: Platform;
  provider: Provider;
  /** voip: PushKit via APNs; data: FCM data-only; alert: FCM with an APNs alert. */
  kind: 'voip' | 'data' | 'alert';
  status: 'pending' | 'accepted' | 'dead_token' | 'failed';
  attempts: number;
  providerStatus?: number;
  reason?: string;
  pushedAt?: number;
  settledAt?: number;
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
  deliveries: Record<string, Delivery>;
}
