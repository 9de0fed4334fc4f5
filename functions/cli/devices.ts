import type { Query } from 'firebase-admin/firestore';
import { deviceView } from '../core/devices/registerDevice';
import type { Device } from '../core/model';
import { extensionSchema } from '../core/schemas';
import { paths } from '../store/firestore';
import {
  checked,
  emit,
  nextPageHint,
  pageByDocId,
  pageOf,
  paging,
  type Command,
  type Invocation,
} from './command';
import { existingTenant } from './context';
import { table, when } from './output';
import { testPush } from './testPush';

/** Devices by id, optionally of one extension; tokens masked by the API's own deviceView. */
async function listDevices(inv: Invocation): Promise<void> {
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const { extension } = inv.values;
  let query: Query = inv.ctx.db.collection(paths.devices(tenant.id));
  if (extension !== undefined) {
    query = query.where('extension', '==', checked(extensionSchema, 'extension', extension));
  }
  const page = await pageByDocId(query, paging(inv.values, 50));
  const devices = page.items.map((doc) => deviceView(doc.data() as Device));
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

interface ExtensionSummary {
  extension: string;
  devices: number;
  members: number;
}

/**
 * Extensions are not documents of their own: an extension is in use when a
 * device is registered for it or a user is its member.
 */
async function listExtensions(inv: Invocation): Promise<void> {
  const { db } = inv.ctx;
  const tenant = await existingTenant(inv.ctx, inv.args.tenant ?? '');
  const [deviceSnap, memberParents] = await Promise.all([
    db.collection(paths.devices(tenant.id)).select('extension').get(),
    // listDocuments() also returns extension documents that only hold a members collection.
    db.collection(`${paths.tenant(tenant.id)}/extensions`).listDocuments(),
  ]);
  const deviceCount = new Map<string, number>();
  for (const doc of deviceSnap.docs) {
    const ext = String(doc.get('extension'));
    deviceCount.set(ext, (deviceCount.get(ext) ?? 0) + 1);
  }
  const names = [...new Set([...deviceCount.keys(), ...memberParents.map((ref) => ref.id)])].sort();
  const page = pageOf(names, (name) => name, paging(inv.values, 50));
  const items: ExtensionSummary[] = await Promise.all(
    page.items.map(async (extension) => {
      const members = await db.collection(paths.members(tenant.id, extension)).count().get();
      return {
        extension,
        devices: deviceCount.get(extension) ?? 0,
        members: members.data().count,
      };
    }),
  );
  const shown = items.filter((e) => e.devices > 0 || e.members > 0);
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
