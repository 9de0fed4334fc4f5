import assert from 'node:assert/strict';
import { BASE_URL, createTenant, db, type TestTenant } from '../support/emulator';
import { cliJson, runCli } from '../support/cli';
import { createPerson, type TestOperator } from '../support/operators';

describe('npx callwake operators and scrape-keys (emulator)', function () {
  this.timeout(120_000);
  let tenant: TestTenant;
  let person: TestOperator;

  before(async () => {
    tenant = await createTenant('outbox');
    person = await createPerson();
  });

  it('grants a role by email, changes it, lists it, and revokes it', async () => {
    const granted = await cliJson<{ uid: string; role: string; changed: boolean }>([
      'operators',
      'grant',
      tenant.id,
      person.email,
      '--role',
      'viewer',
    ]);
    assert.deepEqual(granted, {
      tenant: tenant.id,
      uid: person.uid,
      email: person.email,
      role: 'viewer',
      changed: true,
    });
    const doc = await db().doc(`operators/${person.uid}`).get();
    assert.deepEqual(doc.get('tenants'), { [tenant.id]: 'viewer' });
    const promoted = await cliJson<{ role: string; changed: boolean }>([
      'operators',
      'grant',
      tenant.id,
      person.uid,
      '--role',
      'admin',
    ]);
    assert.equal(promoted.role, 'admin');
    const listed = await cliJson<{ operators: { uid: string; role: string }[] }>([
      'operators',
      'list',
      tenant.id,
    ]);
    assert.deepEqual(listed.operators, [{ uid: person.uid, email: person.email, role: 'admin' }]);
    await cliJson(['operators', 'revoke', tenant.id, person.email]);
    assert.deepEqual((await db().doc(`operators/${person.uid}`).get()).get('tenants'), {});
  });

  it('refuses an unknown email, a wrong role and an unknown tenant with one sentence', async () => {
    for (const [args, message] of [
      [
        ['operators', 'grant', tenant.id, 'nobody@example.test', '--role', 'admin'],
        /No Firebase Auth user has the email/,
      ],
      [
        ['operators', 'grant', tenant.id, person.uid, '--role', 'owner'],
        /--role must be viewer or admin/,
      ],
      [['operators', 'grant', tenant.id, person.uid], /--role is required/],
      [
        ['operators', 'grant', 'no-such-tenant', person.uid, '--role', 'admin'],
        /No tenant "no-such-tenant"/,
      ],
      [['operators', 'revoke', tenant.id, person.uid], /is not an operator of tenant/],
    ] as const) {
      const run = await runCli([...args]);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /^callwake: [^\n]+\n$/);
    }
  });

  it("makes a scrape key that reads every tenant's metrics, and revokes it", async () => {
    const { key, key_id } = await cliJson<{ key: string; key_id: string }>([
      'scrape-keys',
      'create',
    ]);
    const scrape = () =>
      fetch(`${BASE_URL}/v1/metrics`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal((await scrape()).status, 200);
    const listed = await cliJson<{ keys: { key_id: string; status: string }[] }>([
      'scrape-keys',
      'list',
    ]);
    assert.ok(listed.keys.some((k) => k.key_id === key_id && k.status === 'active'));
    await cliJson(['scrape-keys', 'revoke', key_id]);
    const after = await cliJson<{ keys: { key_id: string; status: string }[] }>([
      'scrape-keys',
      'list',
    ]);
    assert.ok(after.keys.some((k) => k.key_id === key_id && k.status === 'revoked'));
  });
});
