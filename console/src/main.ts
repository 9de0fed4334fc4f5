import { onAuthStateChanged, signInWithEmailAndPassword, signOut, type User } from 'firebase/auth';
import { api, ApiError } from './api';
import { fill, h } from './dom';
import { connect, type Services } from './firebase';
import type { Page, PageContext, Role } from './page';
import { callsPage } from './pages/calls';

interface Me {
  uid: string;
  tenants: { tenant: string; role: Role }[];
}

/** Pages other than the landing one load when first opened: the first paint carries less. */
const PAGES: Record<string, () => Promise<Page>> = {
  calls: () => Promise.resolve(callsPage),
  call: async () => (await import('./pages/call')).callPage,
  devices: async () => (await import('./pages/devices')).devicesPage,
  keys: async () => (await import('./pages/keys')).keysPage,
  health: async () => (await import('./pages/health')).healthPage,
};

const NAV: { page: string; label: string; admin?: boolean }[] = [
  { page: 'calls', label: 'Live calls' },
  { page: 'devices', label: 'Devices' },
  { page: 'health', label: 'Health' },
  { page: 'keys', label: 'Keys', admin: true },
];

/** The page's frame (index.html); its absence is a broken build, so it throws. */
function part(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}
const main = part('main');
const nav = part('nav');
const who = part('who');
let stop: () => void = () => undefined;
let me: Me | null = null;

const href = (tenant: string, page: string, ...params: string[]) =>
  `#/t/${[tenant, page, ...params].map(encodeURIComponent).join('/')}`;

/** `#/t/<tenant>/<page>/<params…>` */
function parseHash(): { tenant?: string; page: string; params: string[] } {
  const parts = location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  if (parts[0] !== 't' || parts[1] === undefined) return { page: 'calls', params: [] };
  return { tenant: parts[1], page: parts[2] ?? 'calls', params: parts.slice(3) };
}

function signInForm(services: Services, problem?: string): void {
  const email = h('input', {
    id: 'email',
    type: 'email',
    name: 'email',
    autocomplete: 'username',
    required: true,
  });
  const password = h('input', {
    id: 'password',
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('p', { class: 'refused', role: 'alert' }, problem ?? '');
  const form = h(
    'form',
    { class: 'sign-in' },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'email' }, 'Email'),
    email,
    h('label', { for: 'password' }, 'Password'),
    password,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    fill(error, '');
    signInWithEmailAndPassword(services.auth, email.value, password.value).catch(() => {
      fill(error, 'Wrong email or password.');
    });
  });
  fill(nav);
  fill(who);
  fill(main, form);
  main.dataset.ready = 'sign-in';
}

async function route(services: Services): Promise<void> {
  stop();
  stop = () => undefined;
  if (!me) return;
  const { tenant, page, params } = parseHash();
  const first = me.tenants[0];
  if (!first) {
    fill(nav);
    fill(
      main,
      h('h1', {}, 'No tenant'),
      h(
        'p',
        {},
        'You are signed in, but not an operator of any tenant. An administrator grants access with: ',
        h('code', {}, 'npx callwake operators grant <tenant> <your email> --role viewer'),
      ),
    );
    main.dataset.ready = 'no-tenant';
    return;
  }
  if (tenant === undefined) {
    location.replace(href(first.tenant, 'calls'));
    return;
  }
  const grant = me.tenants.find((t) => t.tenant === tenant);
  const choose = h(
    'select',
    { 'aria-label': 'Tenant', class: 'tenant' },
    ...me.tenants.map((t) => {
      const option = h('option', { value: t.tenant }, t.tenant);
      option.selected = t.tenant === tenant;
      return option;
    }),
  );
  choose.addEventListener('change', () => {
    location.hash = href(choose.value, 'calls');
  });
  const role = grant?.role;
  fill(
    nav,
    choose,
    ...NAV.filter((n) => !n.admin || role === 'admin').map((n) =>
      h(
        'a',
        { href: href(tenant, n.page), ...(n.page === page ? { 'aria-current': 'page' } : {}) },
        n.label,
      ),
    ),
  );
  if (!grant || !role) {
    fill(
      main,
      h('h1', {}, 'Not yours'),
      h('p', {}, `You are not an operator of tenant ${tenant}.`),
    );
    main.dataset.ready = 'refused';
    return;
  }
  const load = PAGES[page] ?? PAGES.calls;
  if (!load) return;
  const ctx: PageContext = {
    services,
    tenant,
    role,
    params,
    href: (p, ...rest) => href(tenant, p, ...rest),
  };
  delete main.dataset.ready;
  const draw = await load();
  stop = draw(ctx, main);
}

async function signedIn(services: Services, user: User): Promise<void> {
  try {
    me = await api<Me>(services.auth, 'GET', '/v1/console/me');
  } catch (err) {
    me = null;
    fill(
      main,
      h('p', { role: 'alert' }, err instanceof ApiError ? err.message : 'The API did not answer.'),
    );
    return;
  }
  const out = h('button', { type: 'button', class: 'link' }, 'Sign out');
  out.addEventListener('click', () => void signOut(services.auth));
  fill(who, h('span', { class: 'muted' }, user.email ?? user.uid), ' ', out);
  await route(services);
}

async function boot(): Promise<void> {
  const services = await connect();
  window.addEventListener('hashchange', () => void route(services));
  onAuthStateChanged(services.auth, (user) => {
    stop();
    me = null;
    if (user) void signedIn(services, user);
    else signInForm(services);
  });
}

boot().catch((err: unknown) => {
  fill(main, h('p', { role: 'alert' }, `The console could not start: ${(err as Error).message}`));
});
