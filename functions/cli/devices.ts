import { deviceView } from '../core/devices/registerDevice';
import { extensionSchema } from '../core/schemas';
import { devicesPage, extensionsInUse } from '../store/deviceInventory';
import { checked, emit, nextPageHint, paging, type Command, type Invocation } from './command';
import { existingTenant } from './context';
import { table, when } from './output';
import { testPush } from './testPush';

/** Devices by id, optionally of one extension; tokens masked by the API's own deviceView. */
async function listDevices(inv: Invocation): Promise<void> {
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const { extension } = inv.values;
  const ext =
    extension === undefined ? undefined : checked(extensionSchema, 'extension', extension);
  const page = await devicesPage(inv.ctx.db, tenant.id, ext, paging(inv.values, 50));
  const devices = page.items.map((device) => deviceView(device));
  const where = `tenant ${tenant.id}${extension === undefined ? '' : `, extension ${extension}`}`;
  emit(
    inv,
    () => ({ tenant: tenant.id, devices, ...(page.next ? { next_after: page.next } : {}) }),
    () => [
      ...(devices.length === 0
        ? [`No devices in ${where}.`]
        : table(
            [
              'DEVICE',
              'EXTENSION',
              'PLATFORM',
              'FCM TOKEN',
              'VOIP TOKEN',
              'HMS / WEB PUSH',
              'APP ID',
              'APNS',
              'LAST SEEN',
            ],
            devices.map((d) => [
              d.device_id,
              d.extension,
              d.platform,
              d.fcm_token,
              d.voip_token,
              d.hms_token ?? d.webpush_endpoint,
              d.app_id,
              d.apns_env,
              when(Date.parse(d.last_seen_at)),
            ]),
          )),
      ...(page.next ? [nextPageHint(inv, page.next)] : []),
    ],
  );
}

/** Extensions with devices or members, with their counts. */
async function listExtensions(inv: Invocation): Promise<void> {
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const page = await extensionsInUse(inv.ctx.db, tenant.id, paging(inv.values, 50));
  const shown = page.items;
  emit(
    inv,
    () => ({
      tenant: tenant.id,
      extensions: shown,
      ...(page.next ? { next_after: page.next } : {}),
    }),
    () => [
      ...(shown.length === 0
        ? [`No extension of tenant ${tenant.id} has devices or members.`]
        : table(
            ['EXTENSION', 'DEVICES', 'MEMBERS'],
            shown.map((e) => [e.extension, e.devices, e.members]),
          )),
      ...(page.next ? [nextPageHint(inv, page.next)] : []),
    ],
  );
}

export const deviceCommands: Command[] = [
  {
    name: 'extensions list',
    args: ['tenant'],
    options: ['limit', 'after'],
    summary: 'extensions with devices or members, with their counts',
    run: listExtensions,
  },
  {
    name: 'devices list',
    args: ['tenant'],
    options: ['extension', 'limit', 'after'],
    summary: "the tenant's devices, tokens masked",
    run: listDevices,
  },
  {
    name: 'devices test-push',
    args: ['tenant', 'device-id'],
    options: [],
    summary: "ring one device with a test call (tenant's push mode)",
    run: testPush,
  },
];
