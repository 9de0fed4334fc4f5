import type { DeliveryResult } from './deliver';
import type { Call, Device } from './model';

/** Storage the core needs; Firestore implements these in functions/store. */

export interface DeviceStore {
  listByExtension(tenant: string, extension: string): Promise<Device[]>;
  /**
   * Creates or refreshes a device. Its tokens are unique within the tenant:
   * any other device holding one of them loses it (and is deleted when it has
   * no token left), so a reinstalled or moved phone never rings twice.
   */
  upsert(tenant: string, device: Device): Promise<{ created: boolean }>;
  /** Deletes a device of an extension; false when there was none. */
  remove(tenant: string, extension: string, deviceId: string): Promise<boolean>;
  /** Forgets a token the provider declared dead, if the device still holds it. */
  dropToken(tenant: string, deviceId: string, token: string): Promise<void>;
}

export interface CallStore {
  /** Creates the call unless it exists; returns the stored call and whether this request made it. */
  createOnce(call: Call): Promise<{ call: Call; created: boolean }>;
  get(tenant: string, callUuid: string): Promise<Call | null>;
  /** Records push outcomes on the call. */
  recordDeliveries(
    tenant: string,
    callUuid: string,
    results: Record<string, DeliveryResult>,
    pushed: number,
  ): Promise<void>;
}
