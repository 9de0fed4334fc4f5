import type { Answer, CallPatch } from './callState';
import type { Call, Device } from './model';
import type { ApnsEnv } from './push';

/** Storage the core needs; Firestore implements these in functions/store. */

export interface DeviceStore {
  listByExtension(tenant: string, extension: string): Promise<Device[]>;
  /**
   * Creates or refreshes a device. Its tokens are unique within the tenant:
   * any other device holding one of them loses it (and is deleted when it has
   * no token left), so a reinstalled or moved phone never rings twice.
   * With `ownerUid` a member writes it, else the PBX: the rule of
   * core/deviceAccess.ts is checked in the same transaction as the write, and
   * a refusal throws permission_denied.
   */
  upsert(tenant: string, device: Device): Promise<{ created: boolean }>;
  /** A device by id, or null. */
  get(tenant: string, deviceId: string): Promise<Device | null>;
  /**
   * Deletes a device of an extension; false when there was none. With
   * `byUid`, a member deletes it: false unless that user owns it, and
   * permission_denied unless it is a member of the extension (deviceAccess.ts).
   */
  remove(tenant: string, extension: string, deviceId: string, byUid?: string): Promise<boolean>;
  /** Forgets a token the provider declared dead, if the device still holds it. */
  dropToken(tenant: string, deviceId: string, token: string): Promise<void>;
  /**
   * Sets the APNs environment of a device that still holds `voipToken` (the other environment
   * accepted it); false when the device or its token is gone.
   */
  setApnsEnv(tenant: string, deviceId: string, voipToken: string, env: ApnsEnv): Promise<boolean>;
  /** The devices with these ids that still exist. */
  getMany(tenant: string, deviceIds: string[]): Promise<Device[]>;
}

export interface CallStore {
  /** Creates the call unless it exists; returns the stored call and whether this request made it. */
  createOnce(call: Call): Promise<{ call: Call; created: boolean }>;
  get(tenant: string, callUuid: string): Promise<Call | null>;
  /**
   * Reads the call and writes `change(call)` in one transaction, merged as Firestore's
   * set-with-merge does (maps merge, other values are replaced); null from `change` writes
   * nothing. `change` must be pure: a transaction may run it more than once. Returns the call as
   * it was, or null if unknown. Every state change of a call (answers, cancels, leases, push
   * outcomes) goes through here, with the pure functions of callState.ts and its neighbours.
   */
  transition(
    tenant: string,
    callUuid: string,
    change: (call: Call) => CallPatch | null,
  ): Promise<{ call: Call; patch: CallPatch | null } | null>;
  /**
   * Applies an app's answer once, as of `now`: the call's transition and the answer's `outcome`
   * are written together, so a trigger run twice finds it settled.
   */
  settleAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    now: number,
  ): Promise<'won' | 'late' | 'no_call'>;
  /** Stores an app's answer document; false when this device already answered. */
  createAnswer(tenant: string, callUuid: string, answer: Answer): Promise<boolean>;
  /** Stores an app's delivery receipt; false when there was one already. */
  createReceipt(tenant: string, callUuid: string, deviceId: string, uid: string): Promise<boolean>;
  /**
   * Resolves with the call once `done(call)` holds or `timeoutMs` passes
   * (with the call as last seen): a listener, not a polling loop.
   */
  waitFor(
    tenant: string,
    callUuid: string,
    done: (call: Call) => boolean,
    timeoutMs: number,
  ): Promise<Call | null>;
}

/** Which extensions a tenant has ever used. */
export interface ExtensionDirectory {
  /**
   * Whether the extension has ever had a device or a member: told apart from one whose phones
   * are all gone (`no_devices`), since a call to one never used is most likely a typo.
   */
  everUsed(tenant: string, extension: string): Promise<boolean>;
}

export interface Membership {
  tenant: string;
  extension: string;
}

/** Which Firebase Auth users belong to which extensions. */
export interface MemberStore {
  isMember(tenant: string, extension: string, uid: string): Promise<boolean>;
  add(tenant: string, extension: string, uid: string, via: 'api' | 'pairing'): Promise<boolean>;
  /**
   * Ends a membership (false when there was none) and deletes the devices the
   * user registered on that extension, atomically: a member owns devices only
   * on its own extensions (deviceAccess.ts).
   */
  remove(tenant: string, extension: string, uid: string): Promise<boolean>;
  membershipsOf(uid: string): Promise<Membership[]>;
}

export interface PairingCode {
  tenant: string;
  extension: string;
  expiresAt: number;
}

/** One-time pairing codes, stored by hash. */
export interface PairingStore {
  create(codeHash: string, code: PairingCode): Promise<void>;
  /**
   * Marks the code used by `uid` and returns it; or says why it cannot be used.
   * With `expect`, a code of another tenant or extension counts as unknown and
   * stays unused.
   */
  redeem(
    codeHash: string,
    uid: string,
    now: number,
    expect?: { tenant: string; extension: string },
  ): Promise<PairingCode | 'unknown' | 'expired' | 'used'>;
}

/** A fixed-window limit: at most `limit` attempts per `windowMs` under `key`. */
export interface RateLimit {
  key: string;
  limit: number;
  windowMs: number;
}

/** Fixed-window counters, e.g. pairing attempts per user and per extension. */
export interface RateLimiter {
  /**
   * Counts one attempt against every limit at once, atomically, unless one of
   * them is used up: then counts nothing and answers false. Concurrent callers
   * serialize, so no more than `limit` attempts per window get through.
   */
  reserve(limits: readonly RateLimit[], now: number): Promise<boolean>;
  /** Gives one reserved attempt back (one that succeeded), in windows still running. */
  release(limits: readonly RateLimit[], now: number): Promise<void>;
}
