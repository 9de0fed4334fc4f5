import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { callUuid } from '../../functions/core/call/callUuid';
import { maskToken } from '../../functions/core/devices/registerDevice';
import { signInApp } from '../support/app';
import { parseVapidKey } from '../../functions/push/vapidKey';
import { db, localConfig, PROJECT_ID, ROOT } from '../support/emulator';
import { api } from '../support/http';
import { callId, fcmToken, voipToken } from '../support/ids';
import { startProviders } from '../support/providers';
import { scanTerminal } from '../support/terminalScreen';
import { DRAIN_TIMEOUT_MS, eventually, SUITE_TIMEOUT_MS } from '../support/wait';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx callwake …` as an operator runs it: a child process against the emulator. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const bin = join(ROOT, 'bin', 'callwake.js');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const run = await cli(args);
  assert.equal(run.code, 0, `callwake ${args.join(' ')}: ${run.stderr}`);
  assert.equal(run.stderr, '');
  return run.stdout;
}

const json = async <T = Record<string, unknown>>(args: string[]) =>
  JSON.parse(await ok([...args, '--json'])) as T;

/** A failing command: its exit code, and one sentence on stderr, never a stack trace. */
async function fails(args: string[], code: number, message: RegExp, env = {}): Promise<void> {
  const run = await cli(args, env);
  assert.equal(run.code, code, `callwake ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  assert.match(run.stderr, message);
  assert.match(run.stderr, /^callwake: [^\n]+\n$/, 'one line');
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

/** Runs the "More: callwake …" line a page ends with. */
function nextPage(stdout: string): string[] | null {
  const line = /^More: callwake (.+)$/m.exec(stdout)?.[1];
  return line ? line.split(' ') : null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newId = () => `cli-${randomBytes(5).toString('hex')}`;

interface Created {
  tenant: string;
  key: string;
  key_id: string;
  push_mode: string | null;
  revoked?: string[];
}

const createTenant = (...options: string[]) =>
  json<Created>(['tenants', 'create', newId(), ...options]);

describe('operator CLI (emulator)', function () {
  this.timeout(SUITE_TIMEOUT_MS);

  it('creates a tenant whose key, shown once and stored only as a hash, works against the API', async () => {
    const id = newId();
    const out = await ok(['tenants', 'create', id, '--name', 'Acme PBX']);
    assert.match(out, new RegExp(`^Created tenant ${id}\\.`));
    const key = /^ {4}(cwk_[\w-]{43})$/m.exec(out)?.[1];
    assert.ok(key, out);
    assert.deepEqual((await db().doc(`tenants/${id}`).get()).data()?.name, 'Acme PBX');
    const stored = await db().collection('apiKeys').where('tenant', '==', id).get();
    assert.deepEqual(
      stored.docs.map((d) => d.id),
      [sha256(key)],
    );
    assert.deepEqual(Object.keys(stored.docs[0]!.data()).sort(), [
      'createdAt',
      'signingKeyId',
      'tenant',
    ]);
    assert.ok(!JSON.stringify(stored.docs[0]!.data()).includes(key), 'the key is not stored');
    // The PBX signing secret derived from it, shown once too, signs requests the API takes.
    const secret = /^ {4}([0-9a-f]{128})$/m.exec(out)?.[1];
    const signingKeyId = /PBX signing key id (cws_[0-9a-f]{24})/.exec(out)?.[1];
    assert.ok(secret && signingKeyId, out);
    assert.equal(stored.docs[0]!.get('signingKeyId'), signingKeyId);
    const signed = await api('POST', '/v1/calls', {
      signer: { signingKeyId, signingSecret: secret },
      form: { call_id: callId(), to: '1001' },
    });
    assert.equal(signed.status, 201, signed.text);
    // `keys signing-secret` derives the same secret from the key and stores it for the API.
    const again = await json(['keys', 'signing-secret', id, key]);
    assert.equal(again.signing_key_id, signingKeyId);
    assert.equal(again.signing_secret, secret);
    assert.equal((await db().doc(`signingKeys/${signingKeyId}`).get()).get('apiKey'), sha256(key));
    assert.equal(
      (
        await db()
          .doc(`apiKeys/${sha256(key)}`)
          .get()
      ).get('signingKeyId'),
      signingKeyId,
    );
    await fails(['keys', 'signing-secret', id, 'cwk_nope'], 1, /not an active API key of tenant/);

    const listed = await ok(['keys', 'list', id]);
    assert.match(listed, new RegExp(`^${sha256(key).slice(0, 12)} .* active$`, 'm'));
    assert.ok(!listed.includes(key), 'never shown again');

    const call = await api('POST', '/v1/calls', { key, form: { call_id: callId(), to: '1001' } });
    assert.equal(call.status, 201, call.text);
    assert.equal(call.fields.status, 'unknown_extension');

    await fails(['tenants', 'create', id], 1, /Tenant cli-\w+ already exists/);
    await fails(['tenants', 'create', 'bad/id'], 2, /tenant must be a tenant id: "bad\/id"/);
    await fails(['tenants', 'create', newId(), '--push-mode', 'fast'], 2, /--push-mode must be/);
  });

  it('rotates and revokes keys; a revoked key is refused by the API', async () => {
    // Keys revoked before their first use: the API's 30 s key cache has never seen them.
    const { tenant, key: first } = await createTenant();
    const second = await json<Created>(['keys', 'create', tenant]);
    const rotated = await json<Created>(['keys', 'rotate', tenant]);
    assert.deepEqual(
      [...(rotated.revoked ?? [])].sort(),
      [sha256(first).slice(0, 12), second.key_id].sort(),
    );
    const revoked = async (key: string) =>
      (
        await db()
          .doc(`apiKeys/${sha256(key)}`)
          .get()
      ).get('revoked') as unknown;
    assert.equal(await revoked(first), true);
    assert.equal(await revoked(second.key), true);
    assert.equal(await revoked(rotated.key), undefined);
    const post = (key: string) =>
      api('POST', '/v1/calls', { key, form: { call_id: callId(), to: '1001' } });
    assert.equal((await post(first)).status, 401);
    assert.equal((await post(second.key)).status, 401);
    assert.equal((await post(rotated.key)).status, 201);

    const third = await json<Created>(['keys', 'create', tenant]);
    const out = await ok(['keys', 'revoke', tenant, third.key_id.slice(0, 8)]);
    assert.match(out, new RegExp(`^Revoked key ${third.key_id} of tenant ${tenant}\\.`));
    assert.equal((await post(third.key)).status, 401);
    // A leaked key can be revoked by the key itself.
    const fourth = await json<Created>(['keys', 'create', tenant]);
    await ok(['keys', 'revoke', tenant, fourth.key]);
    assert.equal(await revoked(fourth.key), true);
    assert.match(await ok(['keys', 'revoke', tenant, fourth.key_id]), /was already revoked/);
    await fails(['keys', 'revoke', tenant, 'deadbeefdead'], 1, /has no key with id deadbeefdead/);

    const keys = await json<{ keys: { key_id: string; status: string }[] }>([
      'keys',
      'list',
      tenant,
    ]);
    assert.equal(keys.keys.filter((k) => k.status === 'active').length, 1);
    assert.equal(keys.keys.length, 5);
  });

  it("keeps tenants apart: a tenant's key cannot reach another tenant's data", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const register = (key: string, id: string) =>
      api('PUT', `/v1/extensions/1001/devices/${id}`, {
        key,
        form: { platform: 'android', fcm_token: fcmToken() },
      });
    assert.equal((await register(a.key, 'phone-a')).status, 201);
    assert.equal((await register(b.key, 'phone-b')).status, 201);
    const id = callId();
    const call = await api('POST', '/v1/calls', { key: b.key, form: { call_id: id, to: '1001' } });
    assert.equal(call.status, 201, call.text);

    assert.equal((await api('GET', `/v1/calls/${id}`, { key: a.key })).status, 404);
    assert.equal((await api('GET', `/v1/calls/${id}`, { key: b.key })).status, 200);
    const seen = await api('GET', '/v1/extensions/1001/devices', { key: a.key });
    assert.deepEqual(
      (seen.fields.devices as { device_id: string }[]).map((d) => d.device_id),
      ['phone-a'],
    );
    const listed = await json<{ devices: { device_id: string }[] }>(['devices', 'list', a.tenant]);
    assert.deepEqual(
      listed.devices.map((d) => d.device_id),
      ['phone-a'],
    );
    assert.match(await ok(['calls', 'list', a.tenant]), /^No calls in tenant/);
    await fails(['calls', 'show', a.tenant, id], 1, /has no call/);
  });

  it('lists devices and extensions page by page, never printing a token in full', async () => {
    const { tenant, key } = await createTenant();
    const tokens = [fcmToken(), fcmToken(), voipToken()];
    const put = async (ext: string, id: string, form: Record<string, string>) => {
      const reply = await api('PUT', `/v1/extensions/${ext}/devices/${id}`, { key, form });
      assert.equal(reply.status, 201, reply.text);
    };
    await put('1001', 'dev-a', { platform: 'android', fcm_token: tokens[0]! });
    await put('1001', 'dev-b', { platform: 'android', fcm_token: tokens[1]! });
    await put('1002', 'dev-c', { platform: 'ios', voip_token: tokens[2]!, app_id: 'com.x.phone' });

    const first = await ok(['devices', 'list', tenant, '--limit', '2']);
    assert.match(first, /^DEVICE +EXTENSION +PLATFORM +FCM TOKEN/);
    assert.match(first, /^dev-a +1001 +android/m);
    assert.doesNotMatch(first, /dev-c/);
    const more = nextPage(first);
    assert.deepEqual(more, ['devices', 'list', tenant, '--limit', '2', '--after', 'dev-b']);
    const second = await ok(more);
    assert.match(second, /^dev-c +1002 +ios .* com\.x\.phone +production/m);
    assert.equal(nextPage(second), null);
    const all = first + second + (await ok(['devices', 'list', tenant, '--json']));
    for (const token of tokens) {
      assert.ok(!all.includes(token), 'no full token');
      assert.ok(all.includes(maskToken(token)), 'the masked token is shown');
    }
    const ios = await json<{ devices: { device_id: string }[] }>([
      'devices',
      'list',
      tenant,
      '--extension',
      '1002',
    ]);
    assert.deepEqual(
      ios.devices.map((d) => d.device_id),
      ['dev-c'],
    );

    // A member of 2000 with no device (made as pairing makes one).
    await db()
      .doc(`tenants/${tenant}/extensions/2000/members/user-1`)
      .set({ uid: 'user-1', tenant, extension: '2000', via: 'pairing', createdAt: Date.now() });
    const extensions = await ok(['extensions', 'list', tenant, '--limit', '2']);
    assert.match(extensions, /^1001 +2 +0$/m);
    assert.match(extensions, /^1002 +1 +0$/m);
    assert.match(await ok(nextPage(extensions)!), /^2000 +0 +1$/m);
  });

  it('lists recent calls newest first with their timelines, and shows one', async () => {
    // No --push-mode: the deployment's default, the outbox on the emulator.
    const { tenant, key, push_mode } = await createTenant();
    assert.equal(push_mode, null);
    const put = await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key,
      form: { platform: 'android', fcm_token: fcmToken() },
    });
    assert.equal(put.status, 201);
    const ids = [callId(), callId(), callId()].map((id, i) => `${id}-${i}`);
    for (const id of ids) {
      const reply = await api('POST', '/v1/calls', {
        key,
        form: { call_id: id, to: '1001', from: '100' },
      });
      assert.equal(reply.fields.pushed, 1, reply.text);
    }
    const first = await ok(['calls', 'list', tenant, '--limit', '2']);
    const rows = first.split('\n').filter((line) => /^\d{4}-/.test(line));
    assert.deepEqual(
      rows.map((line) => line.split(/ {2,}/)[1]),
      [ids[2], ids[1]],
    );
    // The outbox stored the pushes and sent nothing: no provider's HTTP status is claimed.
    assert.match(
      first,
      /^ {4}pixel: data push accepted, pushed [\d:.]+, provider [\d:.]+, not acknowledged$/m,
    );
    assert.doesNotMatch(first, /HTTP/);
    const stored = await db().collection('pushOutbox').where('tenant', '==', tenant).get();
    assert.equal(stored.size, 3, 'one outbox push per call');
    const second = await ok(nextPage(first)!);
    assert.match(second, new RegExp(`  ${ids[0]!.replace('.', '\\.')}  `));
    assert.equal(nextPage(second), null);
    await fails(['calls', 'list', tenant, '--after', 'no-such-call'], 1, /has no call "no-such/);

    const shown = await ok(['calls', 'show', tenant, ids[0]!]);
    assert.match(shown, new RegExp(`^Call ${ids[0]!.replace('.', '\\.')} of tenant ${tenant}`));
    assert.match(shown, /^ {2}status +ringing$/m);
    assert.match(shown, /^pixel +data +accepted +1 +- +[\d:.]+ +[\d:.]+ +- /m);
    const view = await json<{ timeline: { device_id: string }[]; from: string }>([
      'calls',
      'show',
      tenant,
      ids[0]!,
    ]);
    assert.equal(view.timeline[0]!.device_id, 'pixel');
    assert.equal(view.from, '100');
    await fails(['calls', 'show', tenant, 'no-such-call'], 1, /has no call "no-such-call"/);

    // A live tenant's push reaches the (fake) FCM, whose HTTP status the timeline shows.
    const fakes = await startProviders();
    const live = await createTenant('--push-mode', 'live');
    const liveToken = fcmToken();
    const livePut = await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: live.key,
      form: { platform: 'android', fcm_token: liveToken },
    });
    assert.equal(livePut.status, 201, livePut.text);
    const liveId = callId();
    const rang = await api('POST', '/v1/calls', {
      key: live.key,
      form: { call_id: liveId, to: '1001', from: '100' },
    });
    assert.equal(rang.fields.pushed, 1, rang.text);
    assert.equal(fakes.fcm.requestsFor(liveToken).length, 1);
    assert.match(
      await ok(['calls', 'list', live.tenant]),
      /^ {4}pixel: data push accepted \(HTTP 200\), pushed [\d:.]+, provider [\d:.]+, not acknowledged$/m,
    );
    assert.match(
      await ok(['calls', 'show', live.tenant, liveId]),
      /^pixel +data +accepted +1 +200 /m,
    );
  });

  it('invites members as the API does (a member once the user accepts), and removes them', async () => {
    const { tenant } = await createTenant();
    assert.match(await ok(['members', 'add', tenant, '1001', 'uid-1']), /is invited to extension/);
    const invitation = (
      await db().doc(`tenants/${tenant}/extensions/1001/invitations/uid-1`).get()
    ).data();
    assert.deepEqual(
      [invitation?.uid, invitation?.tenant, invitation?.extension],
      ['uid-1', tenant, '1001'],
    );
    assert.equal(
      (await db().doc(`tenants/${tenant}/extensions/1001/members/uid-1`).get()).exists,
      false,
      'no member without its consent',
    );
    await db()
      .doc(`tenants/${tenant}/extensions/1001/members/uid-1`)
      .set({ uid: 'uid-1', tenant, extension: '1001', via: 'invitation', createdAt: 0 });
    assert.match(await ok(['members', 'add', tenant, '1001', 'uid-1']), /was already a member/);
    assert.match(await ok(['members', 'list', tenant, '1001']), /^uid-1 +invitation /m);
    await ok(['members', 'remove', tenant, '1001', 'uid-1']);
    assert.equal(
      (await db().doc(`tenants/${tenant}/extensions/1001/members/uid-1`).get()).exists,
      false,
    );
    await fails(
      ['members', 'remove', tenant, '1001', 'uid-1'],
      1,
      /uid-1 is neither a member of extension 1001/,
    );
    await fails(
      ['members', 'add', tenant, '1001', 'bad uid'],
      2,
      /uid must be a Firebase Auth uid/,
    );
  });

  it('issues a pairing code shown as a QR code of its pair URI, which the app redeems', async () => {
    const { tenant } = await createTenant();
    const out = await ok(['pairing', 'create', tenant, '1001']);
    const code = /: ([A-Z2-9]{5}-[A-Z2-9]{5})$/m.exec(out)?.[1];
    assert.ok(code, out);
    const uri = `callwake://pair?code=${code}&tenant=${tenant}&extension=1001`;
    // The code as printed (its lines of half blocks and colour escapes) scans to the pair URI on
    // a light and on a dark terminal alike.
    const printed = out
      .split('\n')
      .filter((line) => line.includes('\u2580'))
      .join('\n');
    assert.ok(printed.length > 0, out);
    for (const theme of ['light', 'dark'] as const) {
      assert.equal(scanTerminal(printed, theme, `pairing-${code}`), uri, `scanned on ${theme}`);
    }
    assert.ok(out.trimEnd().endsWith(uri));
    const hash = sha256(code.replace('-', ''));
    const stored = (await db().doc(`pairingCodes/${hash}`).get()).data() ?? {};
    assert.deepEqual([stored.tenant, stored.extension], [tenant, '1001']);

    const app = await signInApp();
    try {
      const paired = await api('POST', '/v1/app/pair', {
        headers: { Authorization: `Bearer ${await app.idToken()}` },
        form: { code },
      });
      assert.equal(paired.status, 200, paired.text);
      assert.equal(paired.fields.tenant, tenant);
      assert.match(
        await ok(['members', 'list', tenant, '1001']),
        new RegExp(`^${app.uid} +pairing`, 'm'),
      );
    } finally {
      await app.close();
    }
    const text = await ok(['pairing', 'create', tenant, '1001', '--no-qr']);
    assert.doesNotMatch(text, /[\u2580\u2584\u2588]/, 'no QR code');
    // eslint-disable-next-line no-control-regex -- no colour escapes either
    assert.doesNotMatch(text, /\x1b\[/);
  });

  it("sends a test push through the tenant's push mode: the outbox by default on the emulator", async () => {
    const { tenant, key } = await createTenant();
    const token = fcmToken();
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key,
      form: { platform: 'android', fcm_token: token },
    });
    const out = await ok(['devices', 'test-push', tenant, 'pixel']);
    assert.match(
      out,
      /push mode outbox: stored in pushOutbox\/\w+ \(outbox mode: nothing was sent\)/,
    );
    assert.ok(!out.includes(token));
    const outbox = await db().collection('pushOutbox').where('tenant', '==', tenant).get();
    assert.equal(outbox.size, 1);
    const push = outbox.docs[0]!.data();
    assert.equal(push.deviceId, 'pixel');
    assert.equal(push.token, maskToken(token));
    assert.ok(!JSON.stringify(push).includes(token));
    const id = /^Test call (\S+) /.exec(out)?.[1];
    assert.match(await ok(['calls', 'show', tenant, id!]), /^pixel +data +accepted/m);

    // A tenant in live mode pushes for real (here: to the fake FCM).
    const fakes = await startProviders();
    const live = await createTenant('--push-mode', 'live');
    const liveToken = fcmToken();
    await api('PUT', '/v1/extensions/1001/devices/pixel', {
      key: live.key,
      form: { platform: 'android', fcm_token: liveToken },
    });
    const sent = await json<{ push_mode: string; push_status: string }>([
      'devices',
      'test-push',
      live.tenant,
      'pixel',
    ]);
    assert.deepEqual([sent.push_mode, sent.push_status], ['live', 'accepted']);
    assert.equal(fakes.fcm.requestsFor(liveToken).length, 1);

    await fails(['devices', 'test-push', tenant, 'ghost'], 1, /has no device "ghost"/);
  });

  it('shows the pushes a call sent, incoming and cancel, with their payloads and tokens masked', async () => {
    const { tenant, key } = await createTenant(); // the outbox, the emulator's default
    const android = fcmToken();
    const iphone = voipToken();
    const put = async (id: string, form: Record<string, string>) => {
      const reply = await api('PUT', `/v1/extensions/1001/devices/${id}`, { key, form });
      assert.equal(reply.status, 201, reply.text);
    };
    await put('pixel', { platform: 'android', fcm_token: android });
    await put('iphone', { platform: 'ios', voip_token: iphone, app_id: 'com.x.phone' });
    const id = callId();
    const rang = await api('POST', '/v1/calls', {
      key,
      form: { call_id: id, to: '1001', from: '5551234', from_name: 'Alice' },
    });
    assert.equal(rang.fields.pushed, 2, rang.text);
    const cancelled = await api('POST', `/v1/calls/${id}/cancel`, {
      key,
      form: { reason: 'hangup' },
    });
    assert.equal(cancelled.status, 200, cancelled.text);
    // The cancel push goes out from the call's trigger: wait for it to be stored. (A PushKit-only
    // iPhone gets no cancel: core/render/cancelPush.ts.)
    const uuid = callUuid(tenant, id);
    await eventually(
      async () =>
        (await db().collection('pushOutbox').where('callUuid', '==', uuid).get()).size === 3,
      'the cancel push in the outbox',
      DRAIN_TIMEOUT_MS,
    );

    interface Shown {
      call_id: string;
      pushes: { device_id: string; type: string; provider: string; url: string; body: unknown }[];
    }
    const shown = await json<Shown>(['calls', 'pushes', tenant, id]);
    assert.equal(shown.call_id, id);
    assert.deepEqual(shown.pushes.map((p) => `${p.type} ${p.device_id} ${p.provider}`).sort(), [
      'call_cancelled pixel fcm',
      'incoming_call iphone apns',
      'incoming_call pixel fcm',
    ]);
    const last = shown.pushes.at(-1)!;
    assert.equal(last.type, 'call_cancelled', 'in the order they were stored');
    const payload = (type: string, device: string) => {
      const push = shown.pushes.find((p) => p.type === type && p.device_id === device)!;
      const body = push.body as Record<string, unknown> & { message?: { data?: object } };
      return (body.message?.data ?? body) as Record<string, string>;
    };
    const appKeys = ['type', 'call_id', 'call_uuid', 'caller_id', 'caller_number', 'caller_name'];
    for (const [type, device] of [
      ['incoming_call', 'pixel'],
      ['incoming_call', 'iphone'],
      ['call_cancelled', 'pixel'],
    ] as const) {
      const data = payload(type, device);
      for (const k of [...appKeys, 'extension', 'sip_call_id'])
        assert.ok(k in data, `${type} ${device}: ${k}`);
      assert.deepEqual(
        [data.type, data.call_id, data.call_uuid, data.caller_name],
        [type, id, uuid, 'Alice'],
      );
    }
    assert.equal(payload('call_cancelled', 'pixel').reason, 'hangup');

    const text = await ok(['calls', 'pushes', tenant, id]);
    assert.match(
      text,
      new RegExp(
        `^Pushes of call ${id.replace('.', '\\.')} \\(tenant ${tenant}, call_uuid ${uuid}\\): 3$`,
        'm',
      ),
    );
    assert.match(text, /^[\d:.]+ {2}incoming_call to pixel \(fcm\)$/m);
    assert.match(text, /^[\d:.]+ {2}incoming_call to iphone \(apns\)$/m);
    assert.match(text, /^[\d:.]+ {2}call_cancelled to pixel \(fcm\)$/m);
    assert.match(text, /^ {4,}"caller_number": "5551234",?$/m);
    assert.match(text, /^ {4,}"reason": "hangup",?$/m);
    for (const out of [text, JSON.stringify(shown)]) {
      for (const token of [android, iphone]) {
        assert.ok(!out.includes(token), 'no raw token');
        assert.ok(out.includes(maskToken(token)), 'the masked token is shown');
      }
    }
  });

  it('pages the tenant list', async () => {
    const prefix = newId();
    for (const suffix of ['a', 'b', 'c']) await ok(['tenants', 'create', `${prefix}-${suffix}`]);
    const out = await ok(['tenants', 'list', '--after', `${prefix}-a`, '--limit', '1']);
    assert.match(out, new RegExp(`^${prefix}-b +${prefix}-b +default`, 'm'));
    assert.deepEqual(nextPage(out), ['tenants', 'list', '--limit', '1', '--after', `${prefix}-b`]);
  });

  it('answers wrong commands and unknown tenants with one clear sentence', async () => {
    await fails(
      ['devices', 'list', 'nope-tenant'],
      1,
      /No tenant "nope-tenant" exists on the emulator/,
    );
    await fails(
      ['calls', 'list', 'nope-tenant', '--limit', '0'],
      2,
      /--limit must be a whole number/,
    );
    await fails(['frobnicate'], 2, /Unknown command "frobnicate"/);
    await fails(['devices', 'list'], 2, /Missing arguments: `callwake devices list <tenant>`/);
    await fails(['devices', 'list', 'x', '--bogus'], 2, /Unknown option '--bogus'/);
    await fails(['keys', 'list', 'x', '--extension', '1'], 2, /takes no --extension option/);
    await fails(['tenants', 'list'], 1, /No Firestore emulator answers at 127\.0\.0\.1:1\b/, {
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:1',
    });
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /callwake devices test-push <tenant> <device-id>/);
  });

  it('prints the VAPID public key browsers subscribe with, as the API serves it', async () => {
    const expected = parseVapidKey(localConfig().VAPID_KEY ?? '').publicKey;
    assert.deepEqual(await json(['webpush', 'public-key']), {
      project: PROJECT_ID,
      public_key: expected,
    });
    assert.match(await ok(['webpush', 'public-key']), new RegExp(`^ {4}${expected}$`, 'm'));
    await fails(['webpush', 'public-key'], 1, /VAPID_KEY cannot be read/, { VAPID_KEY: 'nope' });
  });
});
