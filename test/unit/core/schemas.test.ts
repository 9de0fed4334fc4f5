import assert from 'node:assert/strict';
import type { z } from 'zod';
import { createECDH, randomBytes } from 'node:crypto';
import {
  appIdSchema,
  callIdSchema,
  choice,
  deviceIdSchema,
  deviceRegistrationSchema,
  emptyAsUndefined,
  extensionSchema,
  fcmTokenSchema,
  hmsTokenSchema,
  incomingCallSchema,
  RING_TIMEOUT,
  tenantSchema,
  uidSchema,
  webPushAuthSchema,
  webPushEndpointSchema,
  webPushP256dhSchema,
} from '../../../functions/core/schemas';

const VOIP_TOKEN = 'ab'.repeat(32);

/** The issues zod reports, as `path: message` lines. */
function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  assert.equal(result.success, false, 'expected the input to be rejected');
  return result.error!.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
}

describe('incomingCallSchema', () => {
  const base = { call_id: '1700000000.42', to: '100' };

  it('fills in the default ring timeout of 30 seconds', () => {
    assert.equal(RING_TIMEOUT.default, 30);
    assert.deepEqual(incomingCallSchema.parse(base), { ...base, ring_timeout: 30 });
  });

  it('treats empty strings, as unset dialplan variables send them, as absent', () => {
    const parsed = incomingCallSchema.parse({
      ...base,
      from: '',
      from_name: '   ',
      sip_call_id: '',
      ring_timeout: '',
    });
    assert.equal(parsed.from, undefined);
    assert.equal(parsed.from_name, undefined);
    assert.equal(parsed.sip_call_id, undefined);
    assert.equal(parsed.ring_timeout, 30);
    assert.equal(parsed.call_id, base.call_id);
  });

  it('coerces a form string ring timeout and accepts the bounds 5 and 120', () => {
    assert.equal(incomingCallSchema.parse({ ...base, ring_timeout: '45' }).ring_timeout, 45);
    assert.equal(incomingCallSchema.parse({ ...base, ring_timeout: '5' }).ring_timeout, 5);
    assert.equal(incomingCallSchema.parse({ ...base, ring_timeout: 120 }).ring_timeout, 120);
  });

  it('rejects ring timeouts outside 5..120 seconds', () => {
    assert.deepEqual(issues(incomingCallSchema.safeParse({ ...base, ring_timeout: '4' })), [
      'ring_timeout: must be at least 5 seconds',
    ]);
    assert.deepEqual(issues(incomingCallSchema.safeParse({ ...base, ring_timeout: 121 })), [
      'ring_timeout: must be at most 120 seconds',
    ]);
  });

  it('rejects fractional and non-numeric ring timeouts', () => {
    assert.deepEqual(issues(incomingCallSchema.safeParse({ ...base, ring_timeout: '30.5' })), [
      'ring_timeout: must be a whole number of seconds',
    ]);
    assert.deepEqual(issues(incomingCallSchema.safeParse({ ...base, ring_timeout: 'soon' })), [
      'ring_timeout: must be a number of seconds',
    ]);
  });

  it("accepts SIP Call-IDs with '@' and '.' for call_id and sip_call_id", () => {
    const parsed = incomingCallSchema.parse({
      ...base,
      call_id: 'a84b4c76e66710@pc33.atlanta.example.com',
      sip_call_id: '3848276298220188511@atlanta.example.com',
    });
    assert.equal(parsed.call_id, 'a84b4c76e66710@pc33.atlanta.example.com');
    assert.equal(parsed.sip_call_id, '3848276298220188511@atlanta.example.com');
  });

  it('rejects call ids with spaces, control characters or non-ASCII', () => {
    for (const call_id of ['a b', 'a\tb', 'a\u0000b', 'appel-é']) {
      assert.deepEqual(
        issues(incomingCallSchema.safeParse({ ...base, call_id })),
        ['call_id: must be visible ASCII without spaces'],
        JSON.stringify(call_id),
      );
    }
  });

  it('limits call_id to 256 characters', () => {
    assert.equal(callIdSchema.parse('x'.repeat(256)).length, 256);
    assert.deepEqual(issues(callIdSchema.safeParse('x'.repeat(257))), [
      ': must be at most 256 characters',
    ]);
  });

  it('accepts a unicode caller name and trims it', () => {
    const parsed = incomingCallSchema.parse({
      ...base,
      from: ' +32 2 555 01 00 ',
      from_name: '  Zoë Ångström 📞  ',
    });
    assert.equal(parsed.from, '+32 2 555 01 00');
    assert.equal(parsed.from_name, 'Zoë Ångström 📞');
  });

  it('rejects control characters and overlong caller names', () => {
    assert.deepEqual(issues(incomingCallSchema.safeParse({ ...base, from_name: 'Bob\r\nX: y' })), [
      'from_name: must not contain control characters',
    ]);
    assert.deepEqual(issues(incomingCallSchema.safeParse({ ...base, from: 'x'.repeat(129) })), [
      'from: must be at most 128 characters',
    ]);
  });

  it('requires call_id and to', () => {
    const lines = issues(incomingCallSchema.safeParse({}));
    assert.deepEqual(
      lines.map((l) => l.split(':')[0]),
      ['call_id', 'to'],
    );
  });
});

describe('extensionSchema and deviceIdSchema', () => {
  it('accept dialplan extensions and device ids', () => {
    for (const ext of ['100', '*97', '#1', 'alice.home', 'a+b_c-d'])
      assert.equal(extensionSchema.parse(ext), ext);
    for (const id of ['pixel-8', 'A1B2:C3', 'ios_device.1'])
      assert.equal(deviceIdSchema.parse(id), id);
  });

  it('reject what is not a safe Firestore document id', () => {
    for (const bad of ['', '.', '..', '__x__', 'a/b', 'a b', 'x'.repeat(65)]) {
      assert.equal(extensionSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
    for (const bad of ['', '.', '..', '__id__', 'a/b', 'x'.repeat(129)]) {
      assert.equal(deviceIdSchema.safeParse(bad).success, false, JSON.stringify(bad));
    }
  });
});

describe('deviceRegistrationSchema', () => {
  it('accepts an Android device with an FCM token and leaves apns_env unset', () => {
    assert.deepEqual(
      deviceRegistrationSchema.parse({ platform: 'android', fcm_token: 'fcm:tok-1' }),
      { platform: 'android', fcm_token: 'fcm:tok-1' },
    );
  });

  it('accepts an iOS PushKit device, lower-casing its token', () => {
    assert.deepEqual(
      deviceRegistrationSchema.parse({
        platform: 'ios',
        voip_token: VOIP_TOKEN.toUpperCase(),
        app_id: 'com.example.phone',
        apns_env: 'sandbox',
      }),
      { platform: 'ios', voip_token: VOIP_TOKEN, app_id: 'com.example.phone', apns_env: 'sandbox' },
    );
  });

  it('treats an empty apns_env and empty tokens as absent', () => {
    const parsed = deviceRegistrationSchema.parse({
      platform: 'ios',
      fcm_token: 'tok',
      voip_token: '',
      app_id: '',
      apns_env: '',
    });
    assert.equal(parsed.fcm_token, 'tok');
    assert.equal(parsed.voip_token, undefined);
    assert.equal(parsed.app_id, undefined);
    assert.equal(parsed.apns_env, undefined);
  });

  it('requires at least one token', () => {
    assert.deepEqual(
      issues(deviceRegistrationSchema.safeParse({ platform: 'android', fcm_token: '' })),
      ['fcm_token: fcm_token or hms_token is required'],
    );
  });

  it('rejects a voip_token on Android', () => {
    const lines = issues(
      deviceRegistrationSchema.safeParse({
        platform: 'android',
        voip_token: VOIP_TOKEN,
        app_id: 'com.x',
      }),
    );
    assert.deepEqual(lines, ['voip_token: is only for ios devices']);
  });

  it('requires app_id with a voip_token', () => {
    assert.deepEqual(
      issues(deviceRegistrationSchema.safeParse({ platform: 'ios', voip_token: VOIP_TOKEN })),
      ['app_id: is required with voip_token (the iOS bundle id names the APNs topic)'],
    );
  });

  it('rejects a voip_token that is not 64-200 hex digits', () => {
    for (const voip_token of ['ab'.repeat(31), 'zz'.repeat(32), 'a'.repeat(201)]) {
      assert.deepEqual(
        issues(
          deviceRegistrationSchema.safeParse({ platform: 'ios', voip_token, app_id: 'com.x' }),
        ),
        ['voip_token: must be the hex PushKit token (64-200 hex digits)'],
      );
    }
  });

  it('reads platform and apns_env in any letter case, with spaces around', () => {
    const parsed = deviceRegistrationSchema.parse({
      platform: ' iOS ',
      fcm_token: 't',
      apns_env: 'Sandbox',
    });
    assert.deepEqual([parsed.platform, parsed.apns_env], ['ios', 'sandbox']);
    assert.deepEqual(
      issues(deviceRegistrationSchema.safeParse({ platform: 'pc', fcm_token: 't' })),
      ['platform: must be one of android, ios, web'],
    );
  });

  it('rejects an unknown platform or apns_env', () => {
    assert.equal(
      deviceRegistrationSchema.safeParse({ platform: 'web', fcm_token: 't' }).success,
      false,
    );
    assert.equal(
      deviceRegistrationSchema.safeParse({ platform: 'ios', fcm_token: 't', apns_env: 'dev' })
        .success,
      false,
    );
  });
});

describe('identifier schemas: the whole value, in words', () => {
  const says = (schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value);
    return result.success ? 'ok' : result.error.issues.map((i) => i.message).join('; ');
  };

  it('refuse a Firestore-unsafe id, saying so', () => {
    for (const [schema, what] of [
      [deviceIdSchema, 'device id'],
      [tenantSchema, 'tenant id'],
      [uidSchema, 'uid'],
    ] as const) {
      assert.equal(says(schema, '__x__'), `is not a valid ${what}`);
      for (const ok of ['a__x__', '__x__a']) assert.equal(says(schema, ok), 'ok', ok);
    }
    for (const schema of [deviceIdSchema, uidSchema]) {
      assert.equal(says(schema, '..'), says(schema, '__x__').replace('__x__', '..'));
      assert.equal(says(schema, '..a'), 'ok');
      assert.equal(says(schema, 'a..'), 'ok');
    }
  });

  it('match the whole value, not a part of it', () => {
    assert.equal(says(tenantSchema, 'acme corp'), 'must be a tenant id');
    assert.equal(says(tenantSchema, ' acme'), 'must be a tenant id');
    assert.equal(says(tenantSchema, 'acme '), 'must be a tenant id');
    assert.equal(says(uidSchema, 'uid one'), 'must be a Firebase Auth uid');
    assert.equal(says(uidSchema, ' uid'), 'must be a Firebase Auth uid');
    assert.equal(says(uidSchema, 'uid '), 'must be a Firebase Auth uid');
  });

  it('say what is wrong with a call id, a token or an app id', () => {
    assert.equal(says(callIdSchema, ''), 'is required; must be visible ASCII without spaces');
    assert.equal(says(fcmTokenSchema, 'x'.repeat(4097)), 'must be at most 4096 characters');
    assert.equal(says(fcmTokenSchema, 'a b'), 'must be visible ASCII without spaces');
    assert.equal(says(appIdSchema, '-app'), 'must be a package name or bundle id');
  });

  it('say what is wrong with a choice, an HMS token, an endpoint or a subscription key', () => {
    const platform = choice(['android', 'ios']);
    assert.equal(says(platform, 'web'), 'must be one of android, ios');
    assert.equal(says(platform, ' IOS '), 'ok');
    assert.equal(says(platform, '  '), 'must be one of android, ios');
    assert.equal(says(hmsTokenSchema, 'x'.repeat(1025)), 'must be at most 1024 characters');
    assert.equal(says(hmsTokenSchema, 'a b'), 'must be visible ASCII without spaces');
    const long = `https://push.example.net/${'x'.repeat(1000)}`;
    assert.equal(says(webPushEndpointSchema, long), 'must be at most 1024 characters');
    assert.equal(
      says(webPushEndpointSchema, 'https://push.example.net/a b'),
      'must be visible ASCII without spaces',
    );
    // Base64url, the whole value: a valid key with anything before or after it is refused.
    const key = Buffer.alloc(16, 1).toString('base64url');
    assert.equal(says(webPushAuthSchema, key), 'ok');
    for (const bad of [`+${key}`, `${key}/`, `${key}.`, `.${key}`]) {
      assert.equal(
        says(webPushAuthSchema, bad).split('; ')[0],
        'must be base64url (PushSubscription.toJSON().keys.auth)',
        bad,
      );
    }
    assert.equal(
      says(webPushP256dhSchema, '+AAAA').split('; ')[0],
      'must be base64url (PushSubscription.toJSON().keys.p256dh)',
    );
  });

  it('take JSON null for an optional field as absent, as an empty form value', () => {
    assert.equal(emptyAsUndefined(null), undefined);
    assert.equal(emptyAsUndefined('  '), undefined);
    assert.equal(emptyAsUndefined('x'), 'x');
    assert.equal(emptyAsUndefined(0), 0);
  });
});

describe('deviceRegistrationSchema: browsers and Huawei phones', () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const p256dh = ecdh.getPublicKey().toString('base64url');
  const auth = randomBytes(16).toString('base64url');
  const endpoint = 'https://fcm.googleapis.com/fcm/send/dXk3:APA91bE';
  const web = {
    platform: 'web',
    webpush_endpoint: endpoint,
    webpush_p256dh: p256dh,
    webpush_auth: auth,
  };

  it('takes a browser’s PushSubscription, flat, and a Huawei phone’s HMS token', () => {
    assert.deepEqual(deviceRegistrationSchema.parse(web), web);
    assert.deepEqual(deviceRegistrationSchema.parse({ platform: 'android', hms_token: 'AQ-tok' }), {
      platform: 'android',
      hms_token: 'AQ-tok',
    });
  });

  it('refuses keys that are not a P-256 point or 16 bytes, and one key without the other', () => {
    const notOnCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64url');
    assert.deepEqual(
      issues(deviceRegistrationSchema.safeParse({ ...web, webpush_p256dh: notOnCurve })),
      ['webpush_p256dh: must be an uncompressed P-256 public key (65 bytes)'],
    );
    assert.deepEqual(
      issues(
        deviceRegistrationSchema.safeParse({
          ...web,
          webpush_auth: randomBytes(8).toString('base64url'),
        }),
      ),
      ['webpush_auth: must be 16 bytes'],
    );
    assert.deepEqual(issues(deviceRegistrationSchema.safeParse({ ...web, webpush_auth: '' })), [
      'webpush_auth: is required with the other subscription key',
    ]);
    assert.deepEqual(issues(deviceRegistrationSchema.safeParse({ ...web, webpush_p256dh: '' })), [
      'webpush_p256dh: is required with the other subscription key',
    ]);
    const keysAlone = {
      platform: 'android',
      fcm_token: 't',
      webpush_p256dh: p256dh,
      webpush_auth: auth,
    };
    assert.deepEqual(issues(deviceRegistrationSchema.safeParse(keysAlone)), [
      'webpush_endpoint: is required with the subscription keys',
    ]);
  });

  it('refuses a P-256 key in compressed or hybrid form: Web Push needs it uncompressed', () => {
    for (const form of ['compressed', 'hybrid'] as const) {
      const key = ecdh.getPublicKey('base64url', form);
      assert.deepEqual(
        issues(deviceRegistrationSchema.safeParse({ ...web, webpush_p256dh: key })),
        ['webpush_p256dh: must be an uncompressed P-256 public key (65 bytes)'],
        form,
      );
    }
  });

  it('refuses an endpoint that is not https, or hides credentials', () => {
    for (const bad of ['http://push.example.net/x', 'https://user:pw@push.example.net/x', 'nope']) {
      assert.equal(
        deviceRegistrationSchema.safeParse({ ...web, webpush_endpoint: bad }).success,
        false,
        bad,
      );
    }
  });

  it('refuses subscription keys with anything but base64url before or after them', () => {
    // Node's base64url decoder skips what it cannot read: only the pattern's anchors keep junk
    // around a good key from being stored with it.
    const keys = [
      ['webpush_p256dh', p256dh, 'must be base64url (PushSubscription.toJSON().keys.p256dh)'],
      ['webpush_auth', auth, 'must be base64url (PushSubscription.toJSON().keys.auth)'],
    ] as const;
    for (const [field, key, refusal] of keys) {
      const message = `${field}: ${refusal}`;
      for (const junk of ['!', '*', '.', '%3D']) {
        for (const value of [`${junk}${key}`, `${key}${junk}`]) {
          const found = issues(deviceRegistrationSchema.safeParse({ ...web, [field]: value }));
          assert.ok(found.includes(message), `${value}: ${found.join('; ')}`);
        }
      }
    }
  });

  it('refuses an endpoint with a user name, a password or a fragment, any one of them alone', () => {
    for (const bad of [
      'https://user@push.example.net/x',
      'https://:pw@push.example.net/x',
      'https://push.example.net/x#frag',
    ]) {
      assert.deepEqual(
        issues(deviceRegistrationSchema.safeParse({ ...web, webpush_endpoint: bad })),
        ['webpush_endpoint: must have no user name, password or fragment'],
        bad,
      );
    }
  });

  it('refuses an HMS token with a space, or longer than 1024 characters, saying which', () => {
    const hms = (hms_token: string) =>
      issues(deviceRegistrationSchema.safeParse({ platform: 'android', hms_token }));
    assert.deepEqual(hms('AQ tok'), ['hms_token: must be visible ASCII without spaces']);
    assert.deepEqual(hms('A'.repeat(1025)), ['hms_token: must be at most 1024 characters']);
  });

  it('keeps each token on its platform, and an Android phone on one of FCM or HMS', () => {
    assert.deepEqual(
      issues(
        deviceRegistrationSchema.safeParse({
          platform: 'ios',
          hms_token: 'x',
          voip_token: VOIP_TOKEN,
          app_id: 'a.b',
        }),
      ),
      ['hms_token: is only for android devices'],
    );
    assert.deepEqual(issues(deviceRegistrationSchema.safeParse({ ...web, fcm_token: 'x' })), [
      'fcm_token: is only for android and ios devices',
    ]);
    assert.deepEqual(issues(deviceRegistrationSchema.safeParse({ platform: 'web' })), [
      'webpush_endpoint: webpush_endpoint is required',
    ]);
    assert.deepEqual(
      issues(
        deviceRegistrationSchema.safeParse({ platform: 'android', fcm_token: 'a', hms_token: 'b' }),
      ),
      ['hms_token: give fcm_token or hms_token, not both (a phone rings through one of them)'],
    );
  });
});
