// The softphone's service worker: it runs when a push arrives, even with no tab open. Browsers
// require a visible notification for every push (Chrome's userVisibleOnly; Safari revokes the
// permission otherwise), so each push shows one: the call, with Answer and Decline; for a
// cancel, the same notification (same tag) replaced by "Missed call" or "Answered elsewhere".

const MISSED = new Set(['hangup', 'timeout']);

/** Tells open pages to redraw (or to answer), and returns whether there was one. */
async function tellPages(message) {
  const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const page of pages) page.postMessage(message);
  return pages;
}

async function showPush(data) {
  if (!data) {
    // A push with no payload (an RFC 8599 `webpush` phone): wake the SIP stack, which will
    // register and get the INVITE with the caller's details.
    await self.registration.showNotification('Incoming call', {
      tag: 'callwake-wake',
      body: 'Open the softphone to answer.',
      requireInteraction: true,
    });
    return;
  }
  const tag = `call-${data.call_uuid}`;
  if (data.type === 'incoming_call') {
    if (Number(data.expires_at) < Date.now()) {
      await self.registration.showNotification('Missed call', {
        tag,
        body: data.caller_name,
        data,
      });
      return;
    }
    await self.registration.showNotification(`${data.caller_name} is calling`, {
      tag,
      body: `Call to extension ${data.extension}`,
      requireInteraction: true,
      renotify: true,
      data,
      actions: [
        { action: 'accept', title: 'Answer' },
        { action: 'decline', title: 'Decline' },
      ],
    });
  } else if (data.type === 'call_cancelled') {
    const missed = MISSED.has(data.reason);
    await self.registration.showNotification(missed ? 'Missed call' : 'Answered elsewhere', {
      tag,
      body: missed ? `From ${data.caller_name}` : `${data.caller_name}, on another device`,
      silent: !missed,
      data,
    });
  }
}

self.addEventListener('push', (event) => {
  let data;
  try {
    data = event.data?.json();
  } catch {
    data = undefined;
  }
  event.waitUntil(showPush(data).then(() => tellPages({ kind: 'push', type: data?.type })));
});

self.addEventListener('notificationclick', (event) => {
  const data = event.notification.data;
  event.notification.close();
  if (data?.type !== 'incoming_call') return;
  const action = event.action === 'decline' ? 'decline' : 'accept';
  event.waitUntil(
    tellPages({ kind: 'answer', call_id: data.call_id, action }).then(async (pages) => {
      if (pages.length > 0) return pages[0].focus();
      const params = new URLSearchParams({ call: data.call_id, action });
      return self.clients.openWindow(`./?${params}`);
    }),
  );
});

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
