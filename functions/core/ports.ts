import type { Answer, CallPatch } from './call/callState';
import type { DeviceCaps } from './devices/deviceAccess';
import type { OperatorRole } from './access/operatorRoles';
import type { TenantLimits } from './limits';
import type { TenantFigures } from './metrics/exposition';
import type { Call, Device } from './model';
import type { ApnsEnv } from './send/push';

/** Which door an answer came through: the API's answer route, or the app's Firestore write. */
export type AnswerDoor = 'api' | 'sdk';

/** A device's answer as stored, with its outcome once settled. */
export interface StoredAnswer {
  answer: Answer;
  outcome?: 'won' | 'late';
}

/** Storage the core needs; Firestore implements these in functions/store. */

export interface DeviceStore {
  listByExtension(tenant: string, extension: string): Promise<Device[]>;
  /**
   * The devices a call to the extension pushes, bounded whatever is stored: every device when
   * the extension holds no more than the two budgets together; otherwise the PBX's (up to
   * `caps.pbxPerExtension`) and the app users' most recently seen (up to
   * `caps.appPerExtension`), so app users' devices never crowd out the PBX's.
   */
  listForRing(tenant: string, extension: string, caps: DeviceCaps): Promise<Device[]>;
  /**
   * Creates or refreshes a device. With `ownerUid` a member writes it, else the PBX; in the same
   * transaction as the write, the store checks core/devices/deviceAccess.ts: who may change it
   * (permission_denied), whose tokens it may take (token_in_use: a token of another owner's
   * device refuses the whole write), and, with `caps`, the per-extension and per-user caps
   * (limit_exceeded). Tokens are unique within the tenant: the owner's other device holding one
   * loses it (and is deleted when it has no token left), so a reinstalled phone never rings
   * twice.
   */
  upsert(tenant: string, device: Device, caps?: DeviceCaps): Promise<{ created: boolean }>;
  /** A device by id, or null. */
  get(tenant: string, deviceId: string): Promise<Device | null>;
  /**
   * Deletes a device of an extension; false when there was none. With
   * `byUid`, a member deletes it: false unless that user owns it, and
   * permission_denied unless it is a member of the extension (devices/deviceAccess.ts).
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
   * outcomes) goes through here, with the pure functions of call/callState.ts and its neighbours.
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
  /**
   * Stores an app's answer document; false when this device already answered. `door` says who
   * settles it: 'api', the answer route, in the same request (a waiting long-poll leaves it
   * alone rather than contend for the call with it); 'sdk', stored as the app's own Firestore
   * write is (the tests' and the simulation's stand-in for it), settled by its trigger or a
   * waiting long-poll.
   */
  createAnswer(
    tenant: string,
    callUuid: string,
    answer: Answer,
    door: AnswerDoor,
  ): Promise<boolean>;
  /** The answer a device gave to the call, or null when it has not answered. */
  getAnswer(tenant: string, callUuid: string, deviceId: string): Promise<StoredAnswer | null>;
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
  /**
   * Calls `onAnswer` with every answer an app wrote to the call through Firestore (not the
   * answer route's: the route settles those) that is not settled yet, those already there and
   * each new one, with its creation in the database's own time (epoch ms), until the returned
   * function is called (a listener): a waiting long-poll settles them rather than waiting for
   * their trigger.
   */
  watchAnswers(
    tenant: string,
    callUuid: string,
    onAnswer: (answer: Answer, createdAt: number) => void,
  ): () => void;
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

export interface Invitation extends Membership {
  uid: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Which Firebase Auth users belong to which extensions. A membership needs the user's consent:
 * the user redeems a pairing code, or accepts the PBX's invitation.
 */
export interface MemberStore {
  isMember(tenant: string, extension: string, uid: string): Promise<boolean>;
  /** Makes `uid` a member at once: only for a user who consented (a redeemed pairing code). */
  add(
    tenant: string,
    extension: string,
    uid: string,
    via: 'pairing' | 'invitation',
  ): Promise<boolean>;
  /**
   * The PBX invites `uid` to the extension, unless it is a member already. `maxPending` bounds
   * the extension's invitations waiting for an answer (limit_exceeded past it).
   */
  invite(
    tenant: string,
    extension: string,
    uid: string,
    now: number,
    maxPending: number,
  ): Promise<'member' | 'invited' | 'already_invited'>;
  /** The invitations waiting for `uid`, in every tenant (expired ones left out). */
  invitationsOf(uid: string, now: number): Promise<Invitation[]>;
  /**
   * The user's answer to an invitation: accepting makes it a member (and removes the
   * invitation) in one transaction; false when there was no invitation still valid.
   */
  answerInvitation(
    tenant: string,
    extension: string,
    uid: string,
    accept: boolean,
    now: number,
  ): Promise<boolean>;
  /**
   * Ends a membership (false when there was none) and deletes the devices the
   * user registered on that extension, atomically: a member owns devices only
   * on its own extensions (devices/deviceAccess.ts). A pending invitation goes too.
   */
  remove(tenant: string, extension: string, uid: string): Promise<boolean>;
  membershipsOf(uid: string): Promise<Membership[]>;
}

/** Counts over a tenant's calls, across every instance, for the tenant-wide call limits. */
export interface CallCounts {
  /** Calls of the tenant created at or after `since` (epoch ms). */
  createdSince(tenant: string, since: number): Promise<number>;
  /** Calls of the tenant still ringing, before their deadline, at `now`. */
  ringing(tenant: string, now: number): Promise<number>;
}

/** A long-poll counted by `LongPolls.hold`. */
export interface HeldLongPoll {
  heldAt: number;
  end: () => Promise<void>;
}

/** The long-polls a tenant holds open, counted across every instance. */
export interface LongPolls {
  /**
   * Counts one more long-poll of `tenant`, on the call `callUuid`, lasting at most `maxMs`, unless
   * `limit` are already held: then null. `heldAt` is when it was counted, in the database's own
   * time (epoch ms, the clock of `watching`'s `heldBefore`); `end` ends it (early: a long-poll
   * answered before its end).
   */
  hold(
    tenant: string,
    callUuid: string,
    limit: number,
    now: number,
    maxMs: number,
  ): Promise<HeldLongPoll | null>;
  /**
   * True when a long-poll of the call is held past `until`: it watches the call's answers and
   * settles those written through Firestore, so their trigger leaves them to it. With
   * `heldBefore` (the answer's creation, in the database's own time), only a long-poll held
   * before it counts: one held at or after it leaves the answer to the trigger for a moment
   * before settling it itself (routes/calls.ts, EXISTING_ANSWER_GRACE_MS). The two sides compare
   * the same two times the opposite way, so exactly one of them settles at once.
   */
  watching(tenant: string, callUuid: string, until: number, heldBefore?: number): Promise<boolean>;
}

/** Signed requests are good once, across every instance. */
export interface ReplayGuard {
  /** True the first time `id` is claimed; false when it was claimed before (a replay). */
  claim(id: string, until: number): Promise<boolean>;
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

/** Fixed-window counters, e.g. pairing attempts per user. */
export interface RateLimiter {
  /**
   * Counts one attempt against every limit, and answers whether all of them still allow it.
   * However many callers arrive at once, no more than `limit` attempts per window are allowed;
   * a refused attempt stays counted.
   */
  reserve(limits: readonly RateLimit[], now: number): Promise<boolean>;
  /** Gives one reserved attempt back (one that succeeded), in the window of `now`. */
  release(limits: readonly RateLimit[], now: number): Promise<void>;
}

export type PushMode = 'live' | 'outbox';

export interface Tenant {
  id: string;
  /** Overrides the deployment's PUSH_MODE for this tenant (e.g. a sandbox tenant). */
  pushMode?: PushMode;
  /** The tenant's own numbers for the limits that allow one (core/limits.ts). */
  limits?: TenantLimits;
}

export interface SigningKey {
  tenant: Tenant;
  secret: string;
}

export interface KeyView {
  key_id: string;
  created_at: string;
  status: 'active' | 'revoked';
}

export interface MemberView {
  extension: string;
  uid: string;
  via?: string;
  created_at?: string;
}

/** What the console's routes and the metrics route read and change, besides the ring path's stores. */
export interface Operations {
  roleOf(uid: string, tenant: string): Promise<OperatorRole | null>;
  tenantsOf(uid: string): Promise<Record<string, OperatorRole>>;
  figures(tenant: string): Promise<TenantFigures>;
  /** Whether `key` is a deployment-wide scrape key (metricsKeys/). */
  isScrapeKey(key: string): Promise<boolean>;
  /** Every tenant's figures, for a deployment-wide scrape. */
  allFigures(): Promise<TenantFigures[]>;
  listKeys(tenant: string): Promise<KeyView[]>;
  /** A new key, in the clear this once. */
  createKey(tenant: string): Promise<{ key: string; key_id: string }>;
  /** Revokes the key whose id is `keyId`: false when it was revoked already, null when unknown. */
  revokeKey(tenant: string, keyId: string): Promise<boolean | null>;
  /** The tenant's newest calls, newest first. */
  recentCalls(tenant: string, limit: number): Promise<Call[]>;
  /** Every device of the tenant (at most `limit`). */
  devices(tenant: string, limit: number): Promise<Device[]>;
  members(tenant: string, limit: number): Promise<MemberView[]>;
}
