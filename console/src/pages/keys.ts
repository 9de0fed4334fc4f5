import { api, ApiError } from '../api';
import { clock, fill, h } from '../dom';
import type { Page } from '../page';

interface Key {
  key_id: string;
  created_at: string;
  status: 'active' | 'revoked';
}

/**
 * The tenant's PBX API keys (admins): the list by id, a new key shown once, revocation. The
 * API refuses all three to anyone but an admin; the page only mirrors that.
 */
export const keysPage: Page = (ctx, main) => {
  const base = `/v1/console/tenants/${encodeURIComponent(ctx.tenant)}/keys`;
  const list = h('div', {}, h('p', { role: 'status' }, 'Loading…'));
  const created = h('div', { class: 'new-key', 'aria-live': 'polite' });
  const auth = ctx.services.auth;

  const load = async () => {
    try {
      const { keys } = await api<{ keys: Key[] }>(auth, 'GET', base);
      fill(
        list,
        keys.length === 0
          ? h(
              'p',
              {},
              'No keys in apiKeys/ (the deployment secret PBX_API_KEY is a key of tenant default).',
            )
          : h(
              'table',
              {},
              h('caption', {}, `API keys of ${ctx.tenant} (ids only: callwake keeps only a hash)`),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Key id', 'Created', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h('tbody', {}, ...keys.map(row)),
            ),
      );
      main.dataset.ready = 'keys';
    } catch (err) {
      fill(
        list,
        h(
          'p',
          { role: 'alert', class: 'refused' },
          err instanceof ApiError ? err.message : 'The keys could not be loaded.',
        ),
      );
      main.dataset.ready = 'keys';
    }
  };

  const row = (k: Key) => {
    const cell = h('td', {});
    const confirm = h(
      'button',
      {
        type: 'button',
        class: 'danger confirm-revoke',
        onclick: () => void revoke(k, cell),
      },
      `Yes, revoke ${k.key_id}`,
    );
    const ask = h(
      'button',
      {
        type: 'button',
        class: 'revoke',
        onclick: () => {
          fill(cell, confirm);
          confirm.focus();
        },
      },
      'Revoke',
      h('span', { class: 'visually-hidden' }, ` key ${k.key_id}`),
    );
    if (k.status === 'active') fill(cell, ask);
    return h(
      'tr',
      { 'data-key': k.key_id },
      h('td', {}, h('code', {}, k.key_id)),
      h(
        'td',
        {},
        `${new Date(k.created_at).toLocaleDateString()} ${clock(Date.parse(k.created_at))}`,
      ),
      h('td', {}, h('span', { class: `key ${k.status}` }, k.status)),
      cell,
    );
  };

  const revoke = async (k: Key, cell: HTMLElement) => {
    try {
      await api(auth, 'POST', `${base}/${k.key_id}/revoke`);
      fill(cell, 'Revoked; the API may accept it for up to 30 s more (it caches keys).');
      await load();
    } catch (err) {
      fill(cell, (err as Error).message);
    }
  };

  const create = async () => {
    try {
      const { key, key_id } = await api<{ key: string; key_id: string }>(auth, 'POST', base);
      fill(
        created,
        h('p', {}, `New key ${key_id}, shown this once: copy it into the PBX now.`),
        h('output', { class: 'secret', 'aria-label': 'The new API key' }, key),
      );
      await load();
    } catch (err) {
      fill(created, h('p', { role: 'alert', class: 'refused' }, (err as Error).message));
    }
  };

  fill(
    main,
    h('h1', {}, 'API keys'),
    h(
      'p',
      {},
      'The PBX sends its key as ',
      h('code', {}, 'Authorization: Bearer <key>'),
      '. A new key works alongside the others until you revoke them.',
    ),
    ctx.role === 'admin'
      ? h(
          'button',
          { type: 'button', class: 'create-key', onclick: () => void create() },
          'Create a key',
        )
      : null,
    created,
    list,
  );
  void load();
  return () => undefined;
};
