import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AppError } from '../../../../functions/core/errors';
import {
  parseDeviceRegistration,
  pushAddressSchema,
  type PushDeployment,
} from '../../../../functions/core/devices/pushAddress';
import { deviceRegistrationSchema } from '../../../../functions/core/schemas';
import { TEST_PUSH_DEPLOYMENT } from '../../../support/fakes';

const TEAM = TEST_PUSH_DEPLOYMENT.apnsTeamId;
const SENDER = TEST_PUSH_DEPLOYMENT.fcmSenderId;
const PROJECT = TEST_PUSH_DEPLOYMENT.fcmProjectId;
const VOIP = 'A1B2C3D4E5F60718'.repeat(4);
const REMOTE = 'F0E1D2C3B4A59687'.repeat(4);
// The shape of a real FCM registration token (Flexisip's generator): it has a colon.
const FCM = `cX9AbCdEfGh:APA91b${'Zy_-09'.repeat(23)}`;

const parse = (body: Record<string, unknown>, deployment: PushDeployment = TEST_PUSH_DEPLOYMENT) =>
  parseDeviceRegistration(body, deployment);

/** The AppError a body is refused with. */
function refusal(body: Record<string, unknown>, deployment?: PushDeployment): AppError {
  try {
    parse(body, deployment);
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  assert.fail(`expected ${JSON.stringify(body)} to be refused`);
}

/** Refused with 400 `invalid_argument`, naming `field` (and only pn_* fields or platform). */
function refusedOn(field: string, body: Record<string, unknown>, deployment?: PushDeployment) {
  const err = refusal(body, deployment);
  assert.equal(err.code, 'invalid_argument', err.message);
  assert.equal(err.status, 400);
  assert.ok(err.details && field in err.details, `${field} named in ${err.message}`);
  assert.ok(err.message.startsWith(`${field}: `), err.message);
  return err;
}

describe('parseDeviceRegistration: RFC 8599 push addresses', () => {
  describe("Linphone's forms (liblinphone 5.1, as on the wire)", () => {
    it('Android: fcm, the registration token, the project number as pn-param', () => {
      assert.deepEqual(parse({ pn_provider: 'fcm', pn_prid: FCM, pn_param: SENDER }), {
        platform: 'android',
        fcm_token: FCM,
      });
    });

    it('iOS: apns.dev (the sandbox), <voip>:voip&<remote>:remote, <Team>.<bundle>.voip&remote', () => {
      const body = {
        pn_provider: 'apns.dev',
        pn_prid: `${VOIP}:voip&${REMOTE}:remote`,
        pn_param: `${TEAM}.org.linphone.phone.voip&remote`,
      };
      assert.deepEqual(parse(body), {
        platform: 'ios',
        voip_token: VOIP.toLowerCase(),
        app_id: 'org.linphone.phone',
        apns_env: 'sandbox',
      });
      assert.equal(parse({ ...body, pn_provider: 'apns' }).apns_env, 'production');
    });

    it('iOS: the services in either order, the tokens matched by their tags', () => {
      const parsed = parse({
        pn_provider: 'apns',
        pn_prid: `${REMOTE}:remote&${VOIP}:voip`,
        pn_param: `${TEAM}.org.linphone.phone.remote&voip`,
      });
      assert.equal(parsed.voip_token, VOIP.toLowerCase());
    });

    it('iOS with VoIP pushes only: <voip>:voip and <Team>.<bundle>.voip', () => {
      const parsed = parse({
        pn_provider: 'apns',
        pn_prid: `${VOIP}:voip`,
        pn_param: `${TEAM}.com.example.phone.voip`,
      });
      assert.equal(parsed.voip_token, VOIP.toLowerCase());
      assert.equal(parsed.app_id, 'com.example.phone');
    });
  });

  describe("the RFC's forms", () => {
    it('§10 APNs: the bare device token and <TeamID>.<bundle id>.voip', () => {
      assert.deepEqual(
        parse({ pn_provider: 'apns', pn_prid: VOIP, pn_param: `${TEAM}.com.example.phone.voip` }),
        {
          platform: 'ios',
          voip_token: VOIP.toLowerCase(),
          app_id: 'com.example.phone',
          apns_env: 'production',
        },
      );
    });

    it('§12 Web Push: the push subscription URI as pn-prid, no pn-param, no keys', () => {
      const endpoint = 'https://fcm.googleapis.com/fcm/send/dXk3:APA91bE';
      assert.deepEqual(parse({ pn_provider: 'webpush', pn_prid: endpoint }), {
        platform: 'web',
        webpush_endpoint: endpoint,
      });
      assert.deepEqual(
        parse({ pn_provider: 'webpush', pn_prid: encodeURIComponent(endpoint), pn_param: '' }),
        { platform: 'web', webpush_endpoint: endpoint },
      );
      refusedOn('platform', { pn_provider: 'webpush', pn_prid: endpoint, platform: 'android' });
      assert.equal(
        parse({ pn_provider: 'webpush', pn_prid: endpoint, platform: 'web' }).platform,
        'web',
      );
    });

    it('§11 FCM: the project id as pn-param', () => {
      const parsed = parse({ pn_provider: 'fcm', pn_prid: FCM, pn_param: PROJECT });
      assert.equal(parsed.fcm_token, FCM);
    });

    it('undoes RFC 3261 %-escapes and reads the provider case-insensitively', () => {
      const parsed = parse({
        pn_provider: 'APNS%2Edev',
        pn_prid: `${VOIP}%3Avoip%26${REMOTE}%3Aremote`,
        pn_param: `${TEAM}.org.linphone.phone.voip%26remote`,
      });
      assert.equal(parsed.apns_env, 'sandbox');
      assert.equal(parsed.voip_token, VOIP.toLowerCase());
    });

    it('takes platform=ios with fcm (an iPhone app pushed through FCM)', () => {
      const parsed = parse({
        pn_provider: 'fcm',
        pn_prid: FCM,
        pn_param: PROJECT,
        platform: 'ios',
      });
      assert.equal(parsed.platform, 'ios');
    });

    it('takes platform=ios with apns, and android or web with fcm as given', () => {
      const apns = {
        pn_provider: 'apns',
        pn_prid: VOIP,
        pn_param: `${TEAM}.com.example.phone.voip`,
      };
      assert.equal(parse({ ...apns, platform: 'ios' }).voip_token, VOIP.toLowerCase());
      const fcm = { pn_provider: 'fcm', pn_prid: FCM, pn_param: PROJECT };
      assert.equal(parse({ ...fcm, platform: 'android' }).platform, 'android');
      refusedOn('platform', { ...fcm, platform: 'web' });
    });

    it('leaves bodies without pn_* fields to the token fields', () => {
      assert.deepEqual(parse({ platform: 'android', fcm_token: FCM, pn_provider: '' }), {
        platform: 'android',
        fcm_token: FCM,
      });
      refusedOn('platform', { fcm_token: FCM });
    });
  });

  describe('refusals name the pn_* field (the proxy answers the REGISTER 555)', () => {
    const ios = {
      pn_provider: 'apns',
      pn_prid: `${VOIP}:voip&${REMOTE}:remote`,
      pn_param: `${TEAM}.org.linphone.phone.voip&remote`,
    };
    const android = { pn_provider: 'fcm', pn_prid: FCM, pn_param: SENDER };

    it('webpush with a pn-param: RFC 8599 §12 says there is none', () => {
      refusedOn('pn_param', {
        pn_provider: 'webpush',
        pn_prid: 'https://push.example.net/wpush/abc',
        pn_param: 'x',
      });
    });

    it('webpush whose pn-prid is no https URL: invalid_argument naming pn_prid', () => {
      refusedOn('pn_prid', { pn_provider: 'webpush', pn_prid: 'abc' });
      refusedOn('pn_prid', { pn_provider: 'webpush', pn_prid: 'http://push.example.net/s/1' });
    });

    it('a provider this deployment does not push through: unsupported_provider, naming it', () => {
      const noWebPush = { ...TEST_PUSH_DEPLOYMENT, providers: new Set(['fcm', 'apns'] as const) };
      const err = refusal(
        { pn_provider: 'webpush', pn_prid: 'https://push.example.net/wpush/abc' },
        noWebPush,
      );
      assert.equal(err.code, 'unsupported_provider');
      assert.equal(
        err.message,
        'pn_provider: webpush is not enabled in this deployment: callwake pushes through apns, apns.dev, fcm',
      );
      const token = refusal({ platform: 'android', hms_token: 'hms-token-1' }, noWebPush);
      assert.equal(token.code, 'unsupported_provider');
      assert.deepEqual(Object.keys(token.details ?? {}), ['hms_token']);
      assert.equal(
        token.message,
        'hms_token: this deployment does not push through hms (PUSH_PROVIDERS)',
      );
    });

    it('a provider RFC 8599 does not name (hms has no RFC 8599 form): unsupported_provider', () => {
      const err = refusal({ ...android, pn_provider: 'hms' });
      assert.equal(err.code, 'unsupported_provider');
      assert.match(
        err.message,
        /^pn_provider: hms is not supported: callwake pushes through apns, apns.dev, fcm, webpush$/,
      );
    });

    it('a provider that is no name at all: invalid_argument', () => {
      refusedOn('pn_provider', { ...android, pn_provider: 'fcm;x=y' });
      refusedOn('pn_provider', { ...android, pn_provider: '%zz' });
    });

    it('a missing pn_prid or pn_param', () => {
      const err = refusedOn('pn_prid', { pn_provider: 'fcm', pn_param: SENDER });
      assert.equal(err.message, 'pn_prid: is required');
      refusedOn('pn_param', { pn_provider: 'apns', pn_prid: VOIP });
      refusedOn('pn_provider', { pn_prid: VOIP, pn_param: `${TEAM}.a.voip` });
    });

    it('an APNs team other than the deployment key’s, or none configured', () => {
      refusedOn('pn_param', { ...ios, pn_param: 'ZZZZZ99999.org.linphone.phone.voip&remote' });
      refusedOn('pn_param', ios, { ...TEST_PUSH_DEPLOYMENT, apnsTeamId: '' });
    });

    it('an APNs address without the voip service, or with no topic at all', () => {
      refusedOn('pn_param', { ...ios, pn_prid: REMOTE, pn_param: `${TEAM}.org.linphone.phone` });
      const remote = { ...ios, pn_prid: `${REMOTE}:remote` };
      assert.match(
        refusedOn('pn_param', { ...remote, pn_param: `${TEAM}.org.linphone.phone.remote` }).message,
        /voip/,
      );
      refusedOn('pn_param', { ...ios, pn_param: TEAM });
      refusedOn('pn_param', { ...ios, pn_param: `${TEAM}.org.linphone.phone.voip&voip` });
      refusedOn('pn_param', { ...ios, pn_param: `${TEAM}.org/linphone.voip` });
    });

    it('tokens that do not match the services', () => {
      refusedOn('pn_prid', { ...ios, pn_prid: `${VOIP}:voip` });
      refusedOn('pn_prid', { ...ios, pn_prid: `${VOIP}&${REMOTE}` });
      refusedOn('pn_prid', { ...ios, pn_prid: `${VOIP}:voip&${REMOTE}:voip` });
      refusedOn('pn_prid', { ...ios, pn_prid: `${VOIP}:remote`, pn_param: `${TEAM}.a.b.voip` });
    });

    it('a VoIP token that is not a hex PushKit token', () => {
      refusedOn('pn_prid', { ...ios, pn_prid: `${VOIP.slice(1)}g:voip&${REMOTE}:remote` });
      refusedOn('pn_prid', { ...ios, pn_prid: `abc:voip&${REMOTE}:remote` });
    });

    it('an FCM pn-param that names another project, or a number not configured', () => {
      refusedOn('pn_param', { ...android, pn_param: 'someone-else' });
      refusedOn('pn_param', android, { ...TEST_PUSH_DEPLOYMENT, fcmSenderId: '' });
    });

    it('an FCM address without pn-param, whether or not a sender id is configured', () => {
      const bare = { pn_provider: 'fcm', pn_prid: FCM };
      refusedOn('pn_param', bare);
      refusedOn('pn_param', bare, { ...TEST_PUSH_DEPLOYMENT, fcmSenderId: '' });
    });

    it('an FCM token with spaces or control characters', () => {
      refusedOn('pn_prid', { ...android, pn_prid: 'a%20b' });
      refusedOn('pn_prid', { ...android, pn_prid: 'x'.repeat(4097) });
      assert.match(
        refusedOn('pn_param', { ...android, pn_param: 'x'.repeat(513) }).message,
        /must be at most 512 characters/,
      );
    });

    it('platform android for APNs; pn_* mixed with token fields', () => {
      refusedOn('platform', { ...ios, platform: 'android' });
      refusedOn('fcm_token', { ...android, fcm_token: FCM });
      refusedOn('apns_env', { ...ios, apns_env: 'sandbox' });
    });
  });
});

// ---------------------------------------------------------------- properties

const hex = (length: number) =>
  fc
    .array(fc.constantFrom(...'0123456789abcdefABCDEF'.split('')), {
      minLength: length,
      maxLength: length,
    })
    .map((chars) => chars.join(''));
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const bundleId = fc.array(label, { minLength: 2, maxLength: 4 }).map((parts) => parts.join('.'));
const fcmToken = fc.stringMatching(/^[A-Za-z0-9_-]{11}:[A-Za-z0-9_-]{20,160}$/);
/** Escapes some of a value's `:` and `&` as a UA may (RFC 3261 §19.1.2). */
const escapeSome = (value: string, mask: number) => {
  let i = 0;
  return value.replace(/[:&]/g, (c) => ((mask >> (i++ % 30)) & 1 ? encodeURIComponent(c) : c));
};

const linphoneIos = fc.record({
  provider: fc.constantFrom('apns', 'apns.dev', 'APNS', 'Apns.Dev'),
  voip: hex(64),
  remote: hex(64),
  bundle: bundleId,
  order: fc.constantFrom('voip&remote', 'remote&voip', 'voip'),
  mask: fc.nat(),
});

type IosAddress = typeof linphoneIos extends fc.Arbitrary<infer T> ? T : never;

function iosBody(a: IosAddress) {
  const tokens = a.order.split('&').map((s) => `${s === 'voip' ? a.voip : a.remote}:${s}`);
  return {
    pn_provider: a.provider,
    pn_prid: escapeSome(tokens.join('&'), a.mask),
    pn_param: escapeSome(`${TEAM}.${a.bundle}.${a.order}`, a.mask >> 7),
  };
}

describe('parseDeviceRegistration: properties', () => {
  it('reads every well-formed Linphone iOS address to its VoIP token, bundle and host', () => {
    fc.assert(
      fc.property(linphoneIos, (a) => {
        const parsed = parse(iosBody(a));
        assert.deepEqual(parsed, {
          platform: 'ios',
          voip_token: a.voip.toLowerCase(),
          app_id: a.bundle,
          apns_env: a.provider.toLowerCase() === 'apns' ? 'production' : 'sandbox',
        });
        // What it yields is a registration the token route itself would accept.
        assert.deepEqual(deviceRegistrationSchema.parse(parsed), parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('reads every well-formed FCM address, by project id or number', () => {
    fc.assert(
      fc.property(fcmToken, fc.constantFrom(PROJECT, SENDER), (token, param) => {
        assert.deepEqual(parse({ pn_provider: 'fcm', pn_prid: token, pn_param: param }), {
          platform: 'android',
          fcm_token: token,
        });
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every broken iOS address with 400 naming the broken pn_* field', () => {
    const breakings: [string, (b: ReturnType<typeof iosBody>) => Record<string, string>][] = [
      ['pn_param', (b) => ({ ...b, pn_param: b.pn_param.replace(TEAM, 'QQQQQ00000') })],
      ['pn_param', (b) => ({ ...b, pn_param: b.pn_param.replace(/\.[^.]*$/, '') })],
      ['pn_prid', (b) => ({ ...b, pn_prid: `${b.pn_prid}&${VOIP}:voip` })],
      [
        'pn_prid',
        (b) => ({ ...b, pn_prid: b.pn_prid.replace(/[0-9a-f]{2}(?=(:|%3A)voip)/i, 'zz') }),
      ],
      ['pn_prid', (b) => ({ ...b, pn_prid: b.pn_prid.replace(/voip/i, 'remote') })],
      ['pn_provider', (b) => ({ ...b, pn_provider: `${b.pn_provider} ` })],
    ];
    fc.assert(
      fc.property(linphoneIos, fc.nat(breakings.length - 1), (a, pick) => {
        const [field, breakIt] = breakings[pick]!;
        const body = breakIt(iosBody(a));
        // A broken token can still spell a valid one only if the mutation missed: skip those.
        fc.pre(JSON.stringify(body) !== JSON.stringify(iosBody(a)));
        refusedOn(field, body);
      }),
      { numRuns: 300 },
    );
  });

  it('answers any pn_* input with a registration or a 400 that names pn_* and echoes no token', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^[A-Za-z0-9:&.%_-]{0,120}$/),
      fc.constantFrom('', ' ', '%', '%2', '&', ':', 'voip', `${TEAM}.x.voip`, FCM, VOIP),
    );
    const provider = fc.oneof(
      value,
      fc.constantFrom('apns', 'apns.dev', 'fcm', 'webpush', 'FCM', 'hms', 'apns.prod'),
    );
    fc.assert(
      fc.property(provider, value, value, (pn_provider, pn_prid, pn_param) => {
        // With every pn_* field empty, the token fields' rules apply (tested above).
        fc.pre([pn_provider, pn_prid, pn_param].some((v) => v.trim() !== ''));
        let parsed;
        try {
          parsed = parse({ pn_provider, pn_prid, pn_param });
        } catch (err) {
          assert.ok(err instanceof AppError, String(err));
          assert.ok(['invalid_argument', 'unsupported_provider'].includes(err.code), err.code);
          assert.equal(err.status, 400);
          const named = Object.keys(err.details ?? {});
          assert.ok(named.length > 0, err.message);
          for (const field of named) assert.match(field, /^pn_(provider|prid|param)$/);
          if (pn_prid.length >= 16) assert.ok(!err.message.includes(pn_prid), err.message);
          return;
        }
        assert.deepEqual(deviceRegistrationSchema.parse(parsed), parsed);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseDeviceRegistration: what a refusal says', () => {
  const ios = {
    pn_provider: 'apns',
    pn_prid: `${VOIP}:voip&${REMOTE}:remote`,
    pn_param: `${TEAM}.org.linphone.phone.voip&remote`,
  };
  const voipOnly = { pn_provider: 'apns', pn_prid: VOIP, pn_param: `${TEAM}.org.x.voip` };
  const android = { pn_provider: 'fcm', pn_prid: FCM, pn_param: SENDER };
  const webpush = { pn_provider: 'webpush', pn_prid: 'https://push.example.net/wpush/abc' };
  const says = (body: Record<string, unknown>) => refusal(body).message;

  it('names the field and what is wrong with it, in words a PBX admin can act on', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...android, pn_param: '%E0%A4%A' }, 'pn_param: is not correctly %-escaped'],
      [{ ...android, pn_provider: 'f'.repeat(33) }, 'pn_provider: must be at most 32 characters'],
      [{ ...android, pn_param: 'a%20b' }, 'pn_param: must be visible ASCII without spaces'],
      [
        { ...android, pn_provider: '-fcm' },
        'pn_provider: must be a push service such as apns or fcm',
      ],
      [
        { ...voipOnly, pn_param: 'nodots' },
        'pn_param: must be <TeamID>.<bundle id>.voip (RFC 8599 §10) or voip&remote',
      ],
      [
        { ...voipOnly, pn_param: 'ZZZZZ99999.org.x.voip' },
        "pn_param: does not name this deployment's APNs team (APNS_TEAM_ID)",
      ],
      [{ ...voipOnly, pn_param: `${TEAM}.-org.voip` }, 'pn_param: has an invalid bundle id'],
      [{ ...ios, pn_param: `${TEAM}.org.x.voip&voip` }, 'pn_param: names a service twice'],
      [
        { ...ios, pn_prid: `${VOIP}:voip` },
        'pn_prid: must hold one token per service in pn_param (2)',
      ],
      [
        { ...ios, pn_prid: `${VOIP}&${REMOTE}` },
        'pn_prid: must be <token> or <token>:voip&<token>:remote, as pn_param says',
      ],
      [{ ...ios, pn_prid: `${VOIP}:voip&${REMOTE}:voip` }, 'pn_prid: names a service twice'],
      [
        { ...voipOnly, pn_prid: 'abc' },
        'pn_prid: must carry the hex PushKit token (64-200 hex digits) for voip',
      ],
      [{ ...voipOnly, platform: 'android' }, 'platform: must be ios for APNs'],
      [
        { ...android, pn_param: 'someone-else' },
        "pn_param: must name this deployment's Firebase project, by id or number (FCM_SENDER_ID)",
      ],
      [
        { ...android, fcm_token: FCM },
        'fcm_token: give either the pn_* fields or the token fields, not both',
      ],
      [{ ...android, platform: 'web' }, 'platform: must be android or ios for FCM'],
      [{ ...webpush, pn_param: 'x' }, 'pn_param: must be absent for webpush (RFC 8599 §12)'],
      [
        { ...webpush, pn_prid: 'http://push.example.net/s/1' },
        'pn_prid: must be the push subscription URI (an https URL)',
      ],
      [{ ...webpush, platform: 'ios' }, 'platform: must be web for webpush'],
    ];
    for (const [body, message] of cases) assert.equal(says(body), message, JSON.stringify(body));
  });

  it('reads an APNs pn-param whole: the team first, the services last, nothing around them', () => {
    const first = 'pn_param: must be <TeamID>.<bundle id>.voip (RFC 8599 §10) or voip&remote';
    assert.equal(says({ ...voipOnly, pn_param: `.${TEAM}.org.x.voip` }), first);
    assert.equal(says({ ...voipOnly, pn_param: `.${TEAM}.org` }), first);
    const noVoip = 'pn_param: must offer the voip service: callwake rings iPhones with VoIP pushes';
    assert.equal(says({ ...voipOnly, pn_param: `${TEAM}.org.x.voipX` }), noVoip);
    assert.equal(says({ ...voipOnly, pn_param: `${TEAM}.org` }), noVoip);
  });

  it('reads each pn-prid token whole: a token, then at most its service', () => {
    const shape = 'pn_prid: must be <token> or <token>:voip&<token>:remote, as pn_param says';
    assert.equal(says({ ...voipOnly, pn_prid: `junk:${VOIP}` }), shape);
    assert.equal(says({ ...voipOnly, pn_prid: `${VOIP}:voipX` }), shape);
    assert.equal(says({ ...ios, pn_prid: `junk:${VOIP}:voip&${REMOTE}:remote` }), shape);
    assert.equal(says({ ...ios, pn_prid: `${VOIP}:voipX&${REMOTE}:remote` }), shape);
  });

  it('answers a provider it does not know with an issue on pn_provider', () => {
    const result = pushAddressSchema(TEST_PUSH_DEPLOYMENT).safeParse({
      ...android,
      pn_provider: 'hms',
    });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error.issues.map((i) => [i.path.join('.'), i.message]),
      [['pn_provider', 'is not supported']],
    );
  });
});
