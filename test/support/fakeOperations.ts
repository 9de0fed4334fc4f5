import type { TenantFigures } from '../../functions/core/metrics/exposition';
import type { Counters } from '../../functions/core/metrics/counters';
import type { Call, Device } from '../../functions/core/model';
import type { OperatorRole } from '../../functions/core/access/operatorRoles';
import type { KeyView, MemberView, Operations } from '../../functions/core/ports';

/** Operators, keys and figures in memory, for the routes' unit tests. */
export class FakeOperations implements Operations {
  readonly roles = new Map<string, Record<string, OperatorRole>>();
  readonly counters = new Map<string, Counters>();
  readonly scrapeKeys = new Set<string>();
  readonly keys = new Map<string, KeyView[]>();
  readonly calls = new Map<string, Call[]>();
  readonly devicesOf = new Map<string, Device[]>();
  readonly membersOf = new Map<string, MemberView[]>();
  private made = 0;

  grant(uid: string, tenant: string, role: OperatorRole): this {
    this.roles.set(uid, { ...this.roles.get(uid), [tenant]: role });
    return this;
  }

  roleOf(uid: string, tenant: string) {
    return Promise.resolve(this.roles.get(uid)?.[tenant] ?? null);
  }

  tenantsOf(uid: string) {
    return Promise.resolve({ ...this.roles.get(uid) });
  }

  figures(tenant: string): Promise<TenantFigures> {
    const devices = this.devicesOf.get(tenant) ?? [];
    return Promise.resolve({
      tenant,
      counters: { ...this.counters.get(tenant) },
      devices: {
        android: devices.filter((d) => d.platform === 'android').length,
        ios: devices.filter((d) => d.platform === 'ios').length,
        web: devices.filter((d) => d.platform === 'web').length,
      },
    });
  }

  isScrapeKey(key: string) {
    return Promise.resolve(this.scrapeKeys.has(key));
  }

  allFigures() {
    return Promise.all([...this.counters.keys()].sort().map((t) => this.figures(t)));
  }

  listKeys(tenant: string) {
    return Promise.resolve([...(this.keys.get(tenant) ?? [])]);
  }

  createKey(tenant: string) {
    this.made += 1;
    const key_id = this.made.toString(16).padStart(12, '0');
    const view: KeyView = { key_id, created_at: new Date(0).toISOString(), status: 'active' };
    this.keys.set(tenant, [...(this.keys.get(tenant) ?? []), view]);
    return Promise.resolve({ key: `cwk_fake_${key_id}`, key_id });
  }

  revokeKey(tenant: string, keyId: string) {
    const key = this.keys.get(tenant)?.find((k) => k.key_id === keyId);
    if (!key) return Promise.resolve(null);
    const was = key.status === 'active';
    key.status = 'revoked';
    return Promise.resolve(was);
  }

  recentCalls(tenant: string, limit: number) {
    return Promise.resolve((this.calls.get(tenant) ?? []).slice(0, limit));
  }

  devices(tenant: string, limit: number) {
    return Promise.resolve((this.devicesOf.get(tenant) ?? []).slice(0, limit));
  }

  members(tenant: string, limit: number) {
    return Promise.resolve((this.membersOf.get(tenant) ?? []).slice(0, limit));
  }
}
