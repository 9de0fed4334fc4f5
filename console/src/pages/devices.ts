import { doc, onSnapshot } from 'firebase/firestore';
import { api, ApiError } from '../api';
import { ringMs, type Call } from '../calls';
import { clock, duration, fill, h } from '../dom';
import type { Page, PageContext } from '../page';

interface LastPush {
  call_id: string;
  at: string;
  status: string;
  provider_status?: number;
  reason?: string;
}

interface DeviceRow {
  device_id: string;
  extension: string;
  platform: string;
  app_id?: string;
  apns_env?: string;
  fcm_token?: string;
  voip_token?: string;
  last_seen_at: string;
  last_push?: LastPush;
}

interface Member {
  extension: string;
  uid: string;
  via?: string;
}

interface DevicesAnswer {
  devices: DeviceRow[];
  members: Member[];
}

interface PairingCode {
  code: string;
  pair_uri: string;
  expires_at: string;
}

const tenantPath = (ctx: PageContext) => `/v1/console/tenants/${encodeURIComponent(ctx.tenant)}`;

function lastPush(p: LastPush | undefined): Node | string {
  if (!p) return h('span', { class: 'muted' }, 'none recently');
  const detail = [p.provider_status, p.reason].filter((v) => v !== undefined).join(' ');
  return h(
    'span',
    {},
    h('span', { class: `push ${p.status}` }, p.status.replace('_', ' ')),
    detail ? ` (${detail})` : '',
    h('span', { class: 'muted' }, ` ${clock(Date.parse(p.at))}`),
  );
}

/** Follows a test call's document and says, as it happens, what became of the push. */
function followTestRing(
  ctx: PageContext,
  callUuid: string,
  deviceId: string,
  out: HTMLElement,
): () => void {
  return onSnapshot(doc(ctx.services.db, 'tenants', ctx.tenant, 'calls', callUuid), (snap) => {
    const call = snap.data() as Call | undefined;
    const d = call?.deliveries[deviceId];
    if (!call || !d) return;
    const parts = [
      d.status === 'pending'
        ? 'pushing…'
        : d.status === 'accepted'
          ? `accepted by ${d.provider.toUpperCase()} after ${duration(ringMs(call, d))}`
          : `${d.status.replace('_', ' ')} at ${d.provider.toUpperCase()}${d.providerStatus ? ` (HTTP ${d.providerStatus}${d.reason ? `, ${d.reason}` : ''})` : ''}`,
      d.deliveredAt === undefined
        ? null
        : `the phone acknowledged it after ${duration(d.deliveredAt - call.createdAt)}`,
      d.answer ? `answered: ${d.answer}` : null,
      call.status === 'ringing' ? null : `call ${call.status}`,
    ].filter(Boolean);
    out.dataset.push = d.status;
    fill(out, `Test ring: ${parts.join('; ')}.`);
  });
}

/** Extensions and devices: health, masked tokens, members, pairing QR codes, test rings. */
export const devicesPage: Page = (ctx, main) => {
  const stops: (() => void)[] = [];
  const admin = ctx.role === 'admin';
  const content = h('div', {}, h('p', { role: 'status' }, 'Loading…'));
  fill(main, h('h1', {}, 'Extensions and devices'), content);

  const testRing = async (device: DeviceRow, out: HTMLElement) => {
    fill(out, 'Ringing…');
    try {
      const answer = await api<{ call_uuid: string }>(
        ctx.services.auth,
        'POST',
        `${tenantPath(ctx)}/devices/${encodeURIComponent(device.device_id)}/test-ring`,
      );
      stops.push(followTestRing(ctx, answer.call_uuid, device.device_id, out));
    } catch (err) {
      fill(out, `Test ring failed: ${(err as Error).message}`);
    }
  };

  const pairing = async (ext: string, out: HTMLElement) => {
    fill(out, 'Making a code…');
    try {
      const code = await api<PairingCode>(
        ctx.services.auth,
        'POST',
        `${tenantPath(ctx)}/extensions/${encodeURIComponent(ext)}/pairing-codes`,
      );
      const { qrSvg } = await import('../qr');
      fill(
        out,
        qrSvg(code.pair_uri, `Pairing QR code for extension ${ext}`),
        h(
          'p',
          {},
          'Code ',
          h('code', { class: 'pairing-code' }, code.code),
          `, single use, valid until ${clock(Date.parse(code.expires_at))}.`,
        ),
      );
    } catch (err) {
      fill(out, `No pairing code: ${(err as Error).message}`);
    }
  };

  const render = ({ devices, members }: DevicesAnswer) => {
    const extensions = [
      ...new Set([...devices.map((d) => d.extension), ...members.map((m) => m.extension)]),
    ].sort();
    if (extensions.length === 0) {
      fill(content, h('p', {}, 'No devices or members yet.'));
      return;
    }
    fill(
      content,
      ...extensions.map((ext) => {
        const qrOut = h('div', { class: 'pairing', 'aria-live': 'polite' });
        const mine = devices.filter((d) => d.extension === ext);
        const people = members.filter((m) => m.extension === ext);
        return h(
          'section',
          { class: 'extension', 'data-extension': ext },
          h('h2', {}, 'Extension ', ext),
          mine.length === 0
            ? h('p', { class: 'muted' }, 'No devices.')
            : h(
                'table',
                {},
                h('caption', {}, `Devices of extension ${ext}`),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...[
                      'Device',
                      'Platform',
                      'Tokens (masked)',
                      'Last seen',
                      'Last push',
                      admin ? 'Test' : '',
                    ].map((t) => h('th', { scope: 'col' }, t)),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  ...mine.map((d) => {
                    const out = h('span', { class: 'test-result', 'aria-live': 'polite' });
                    return h(
                      'tr',
                      { 'data-device': d.device_id },
                      h('th', { scope: 'row' }, d.device_id),
                      h('td', {}, d.platform, d.apns_env ? ` (APNs ${d.apns_env})` : ''),
                      h(
                        'td',
                        { class: 'tokens' },
                        [
                          d.fcm_token && `FCM ${d.fcm_token}`,
                          d.voip_token && `VoIP ${d.voip_token}`,
                        ]
                          .filter(Boolean)
                          .join(', '),
                      ),
                      h('td', {}, clock(Date.parse(d.last_seen_at))),
                      h('td', {}, lastPush(d.last_push)),
                      h(
                        'td',
                        {},
                        admin
                          ? h(
                              'button',
                              {
                                type: 'button',
                                class: 'test-ring',
                                onclick: () => void testRing(d, out),
                              },
                              'Test ring',
                              h('span', { class: 'visually-hidden' }, ` ${d.device_id}`),
                            )
                          : null,
                        ' ',
                        out,
                      ),
                    );
                  }),
                ),
              ),
          h('h3', {}, 'Members'),
          people.length === 0
            ? h('p', { class: 'muted' }, 'No members.')
            : h(
                'ul',
                { class: 'members' },
                ...people.map((m) =>
                  h(
                    'li',
                    {},
                    h('code', {}, m.uid),
                    m.via ? h('span', { class: 'muted' }, ` via ${m.via}`) : null,
                  ),
                ),
              ),
          admin
            ? h(
                'button',
                { type: 'button', class: 'pair', onclick: () => void pairing(ext, qrOut) },
                'Show a pairing QR code',
                h('span', { class: 'visually-hidden' }, ` for extension ${ext}`),
              )
            : null,
          qrOut,
        );
      }),
    );
    main.dataset.ready = 'devices';
  };

  api<DevicesAnswer>(ctx.services.auth, 'GET', `${tenantPath(ctx)}/devices`)
    .then(render)
    .catch((err: unknown) => {
      fill(
        content,
        h(
          'p',
          { role: 'alert' },
          err instanceof ApiError ? err.message : 'The devices could not be loaded.',
        ),
      );
    });
  return () => {
    for (const stop of stops) stop();
  };
};
