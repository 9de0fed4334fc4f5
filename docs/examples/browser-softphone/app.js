// A browser softphone's callwake side, with no framework: sign in, subscribe to Web Push with
// callwake's VAPID key, register the subscription as this browser's device, show the calls the
// service worker (sw.js) puts on screen, and answer through callwake. The SIP side (JsSIP,
// SIP.js, ...) registers once the call is answered, as the app guide says.
const config = window.CALLWAKE_CONFIG;
const $ = (selector) => document.querySelector(selector);
const session = { idToken: '', refreshToken: '', expiresAt: 0, extension: '' };

/** A stable id for this browser's device (one per browser profile). */
function deviceId() {
  let id = localStorage.getItem('callwake.deviceId');
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem('callwake.deviceId', id);
  }
  return id;
}

function say(text) {
  $('#status').textContent = text;
}

/** Firebase Auth's REST API: email and password in, an ID token out. */
async function signIn(email, password) {
  const url = `${config.authOrigin}/v1/accounts:signInWithPassword?key=${config.firebaseApiKey}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error?.message ?? `sign-in failed (${res.status})`);
  keep(body.idToken, body.refreshToken, Number(body.expiresIn));
}

function keep(idToken, refreshToken, expiresInS) {
  Object.assign(session, { idToken, refreshToken, expiresAt: Date.now() + expiresInS * 1000 });
  localStorage.setItem('callwake.refreshToken', refreshToken);
}

/** The ID token, refreshed a minute before it expires. */
async function idToken() {
  if (session.idToken && Date.now() < session.expiresAt - 60_000) return session.idToken;
  const refresh = session.refreshToken || localStorage.getItem('callwake.refreshToken');
  if (!refresh) throw new Error('Sign in first.');
  const res = await fetch(`${config.tokenOrigin}/v1/token?key=${config.firebaseApiKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error('Sign in again.');
  keep(body.id_token, body.refresh_token, Number(body.expires_in));
  return session.idToken;
}

/** One call to callwake's app API, JSON both ways. */
async function callwake(method, path, body) {
  const res = await fetch(`${config.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await idToken()}`,
      accept: 'application/json',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(answer.message ?? `callwake answered ${res.status}`);
  return answer;
}

const fromBase64url = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const sameKey = (buffer, key) =>
  buffer !== null &&
  btoa(String.fromCharCode(...new Uint8Array(buffer))) ===
    btoa(String.fromCharCode(...fromBase64url(key)));

/**
 * This browser's push subscription, made with callwake's VAPID key: one made with another key
 * (callwake's was rotated) is replaced, since its pushes would be refused.
 */
async function subscription(registration) {
  const { public_key: key } = await callwake('GET', '/v1/app/webpush/public-key');
  const existing = await registration.pushManager.getSubscription();
  if (existing && sameKey(existing.options.applicationServerKey, key)) return existing;
  await existing?.unsubscribe();
  return registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: fromBase64url(key),
  });
}

/** Registers (or refreshes) this browser as a device of the extension. */
async function enableCalls(extension) {
  const registration = await navigator.serviceWorker.register('sw.js');
  await navigator.serviceWorker.ready;
  if ((await Notification.requestPermission()) !== 'granted') {
    throw new Error('Allow notifications to be told of calls.');
  }
  const { endpoint, keys } = (await subscription(registration)).toJSON();
  await callwake('PUT', `/v1/app/devices/${deviceId()}`, {
    extension,
    platform: 'web',
    webpush_endpoint: endpoint,
    webpush_p256dh: keys.p256dh,
    webpush_auth: keys.auth,
  });
  session.extension = extension;
}

/** Answers a call through callwake: the first answer of any device wins. */
async function answer(callId, action) {
  const { outcome } = await callwake('POST', `/v1/app/calls/${encodeURIComponent(callId)}/answer`, {
    device_id: deviceId(),
    action,
  });
  const registration = await navigator.serviceWorker.ready;
  for (const n of await registration.getNotifications()) {
    if (n.data?.call_id === callId) n.close();
  }
  say(
    outcome === 'won'
      ? `${action === 'accept' ? 'Answered' : 'Declined'}: connect the SIP stack now.`
      : 'Too late: the call had already ended.',
  );
  await render();
}

/** Shows the notifications the service worker put up, each call with its buttons. */
async function render() {
  const registration = await navigator.serviceWorker.getRegistration();
  const list = $('#calls');
  list.replaceChildren();
  for (const n of (await registration?.getNotifications()) ?? []) {
    const item = document.createElement('li');
    item.className = 'call';
    item.dataset.tag = n.tag;
    const title = document.createElement('h3');
    title.textContent = n.title; // caller names come from outside: text, never HTML
    const body = document.createElement('p');
    body.textContent = n.body;
    item.append(title, body);
    if (n.data?.type === 'incoming_call') {
      for (const [action, label] of [
        ['accept', 'Answer'],
        ['decline', 'Decline'],
      ]) {
        const button = document.createElement('button');
        button.className = action === 'accept' ? 'answer' : 'decline';
        button.textContent = label;
        button.addEventListener('click', () => {
          answer(n.data.call_id, action).catch((err) => say(err.message));
        });
        item.append(button);
      }
    }
    list.append(item);
  }
}

$('#signin').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  say('Signing in…');
  signIn(form.get('email'), form.get('password'))
    .then(() => enableCalls(form.get('extension')))
    .then(() => say(`Ready: calls to ${session.extension} ring this browser.`))
    .catch((err) => say(err.message));
});

// The service worker tells open pages about each push, and about a click on a notification.
navigator.serviceWorker.addEventListener('message', (event) => {
  const { kind, call_id: callId, action } = event.data ?? {};
  if (kind === 'answer') answer(callId, action).catch((err) => say(err.message));
  else render();
});
const opened = new URLSearchParams(location.search);
if (opened.get('call')) {
  answer(opened.get('call'), opened.get('action') ?? 'accept').catch((err) => say(err.message));
}
render();
