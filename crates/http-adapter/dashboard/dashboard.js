// Orgplane dashboard: a page over the public JSON API, with the caller's own credential.
// It calls nothing the credential could not call itself, so the tenant wall holds here by
// construction. No framework, no build step: the server bundles this file as it is.
'use strict';

(() => {
  const REFRESH_MS = 5000;
  const CREDENTIAL = 'orgplane.credential';
  const numbers = new Intl.NumberFormat(undefined);
  const rates = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const view = document.getElementById('view');

  let credential = readCredential();
  let me = null;
  let timer = null;
  // One per shown page: navigating aborts the last page's requests, so that a page left
  // while it loads never paints over the next one or leaves its refresh running.
  let navigation = new AbortController();
  let chart = null;

  // ---------------------------------------------------------------- helpers

  function readCredential() {
    try {
      return JSON.parse(sessionStorage.getItem(CREDENTIAL));
    } catch {
      return null;
    }
  }

  /** Builds an element: `attrs` are attributes (`text` sets the text), children nodes or strings. */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const count = (n) => numbers.format(n);
  const rate = (r) => `${rates.format(r)} msg/s`;

  /** A number cell that carries its exact value for tests and assistive tools. */
  function figure(field, value, text) {
    return h('td', { class: 'num', 'data-field': field, 'data-value': String(value) }, text);
  }

  /** A time in the viewer's zone, with UTC on hover. */
  function time(iso) {
    const at = new Date(iso);
    return h('time', { datetime: iso, title: `UTC: ${at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' Z')}` },
      at.toLocaleString());
  }

  function limitText(limit) {
    return limit === null ? 'unlimited' : `${count(limit)} messages`;
  }

  function usageMeter(usage, limit) {
    if (limit === null) return h('span', { class: 'empty', text: 'no limit' });
    const share = limit === 0 ? 1 : usage / limit;
    return h('meter', {
      min: '0', max: '1', low: '0.8', high: '0.999', optimum: '0', value: String(Math.min(share, 1)),
      title: `${Math.round(share * 100)} % of the limit`,
      'aria-label': `${Math.round(share * 100)} percent of the monthly limit`,
    });
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(path, options = {}) {
    const headers = { Accept: 'application/json', ...(options.headers || {}) };
    if (credential) headers.Authorization = `Bearer ${credential.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method: options.method || 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.method ? undefined : navigation.signal,
    });
    if (response.status === 204) return null;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401 && credential && !options.signingIn) {
        forget();
        throw new ApiError(401, 'Your session has ended. Please sign in again.');
      }
      const detail = body.detail || body.title || `The server answered ${response.status}.`;
      const fields = (body.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ');
      throw new ApiError(response.status, fields ? `${detail} (${fields})` : detail);
    }
    return body;
  }

  function stopRefresh() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (chart) chart.destroy();
    chart = null;
  }

  const aborted = (error) => error && error.name === 'AbortError';

  /** Runs `refresh` now (its failure is the page's: a 404 shows "Not found"), then again
   * a few seconds after each run ends while this page is shown: never two at once. */
  async function every(refresh) {
    const { signal } = navigation;
    await refresh();
    const next = () => {
      timer = setTimeout(async () => {
        try {
          await refresh();
        } catch (error) {
          if (!aborted(error)) showError(error);
        }
        if (!signal.aborted) next();
      }, REFRESH_MS);
    };
    if (!signal.aborted) next();
  }

  function showError(error) {
    if (error instanceof ApiError && error.status === 401) {
      renderSignIn(error.message);
      return;
    }
    let box = view.querySelector('.page-error');
    if (!box) {
      box = h('p', { class: 'error page-error', role: 'alert' });
      view.prepend(box);
    }
    box.textContent = error.message;
  }

  function page(title, subtitle, ...content) {
    view.replaceChildren(h('h1', { text: title }), subtitle ? h('p', { class: 'sub' }, subtitle) : null, ...content);
  }

  function panel(title, ...content) {
    return h('section', { class: 'panel', 'aria-label': title }, h('h2', { text: title }), ...content);
  }

  // ---------------------------------------------------------------- sign in

  function forget() {
    credential = null;
    me = null;
    sessionStorage.removeItem(CREDENTIAL);
    document.getElementById('nav').hidden = true;
    document.getElementById('who').hidden = true;
  }

  function renderSignIn(message) {
    stopRefresh();
    forget();
    const status = h('p', { class: 'error', role: 'alert', text: message || '' });
    const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
    const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const key = h('input', { id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'off', required: true });
    const signIn = async (event, attempt) => {
      event.preventDefault();
      status.textContent = '';
      try {
        await attempt();
        await start(true);
      } catch (error) {
        forget();
        status.textContent = error.message;
      }
    };
    page('Sign in', 'Use your e-mail address and password, or an API key.',
      status,
      h('div', { class: 'grid' },
        h('section', { class: 'panel', 'aria-label': 'With a password' },
          h('h2', { text: 'With a password' }),
          h('form', {
            class: 'stack', id: 'password-form',
            onsubmit: (e) => signIn(e, async () => {
              const grant = await api('/auth/login', {
                method: 'POST', body: { email: email.value, password: password.value }, signingIn: true,
              });
              credential = { token: grant.token, session: true };
            }),
          },
          h('label', { for: 'email' }, 'E-mail address', email),
          h('label', { for: 'password' }, 'Password', password),
          h('button', { type: 'submit', text: 'Sign in' }))),
        h('section', { class: 'panel', 'aria-label': 'With an API key' },
          h('h2', { text: 'With an API key' }),
          h('form', {
            class: 'stack', id: 'key-form',
            onsubmit: (e) => signIn(e, async () => {
              credential = { token: key.value.trim(), session: false };
            }),
          },
          h('label', { for: 'api-key' }, 'API key', key),
          h('button', { type: 'submit', text: 'Sign in with the key' })))));
    email.focus();
  }

  async function start(moveFocus) {
    me = await api('/auth/me', { signingIn: true });
    sessionStorage.setItem(CREDENTIAL, JSON.stringify(credential));
    document.getElementById('who-name').textContent = `${me.email} · ${me.organization_name}`;
    document.getElementById('who').hidden = false;
    document.getElementById('nav').hidden = false;
    route(moveFocus);
  }

  document.getElementById('sign-out').addEventListener('click', async () => {
    if (credential && credential.session) {
      await api('/auth/logout', { method: 'POST' }).catch(() => null);
    }
    renderSignIn('You are signed out.');
    location.hash = '#/tree';
  });

  // ---------------------------------------------------------------- the tree

  /** The tree under `root`, or (`null`) everything the caller reaches. */
  async function renderTree(root) {
    const body = h('tbody');
    const note = h('p', { class: 'notice' });
    page('Organizations', 'Every organization you reach, with its live sending and this month\u2019s usage.',
      note,
      h('section', { class: 'panel', 'aria-label': 'Organization tree' },
        h('table', { id: 'tree' },
          h('caption', { class: 'skip', text: 'Organization tree' }),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', text: 'Organization' }),
            h('th', { scope: 'col', class: 'num', text: 'Servers' }),
            h('th', { scope: 'col', class: 'num', text: 'Rate (last 60 s)' }),
            h('th', { scope: 'col', class: 'num', text: 'Queued' }),
            h('th', { scope: 'col', class: 'num', text: 'Sent this month' }),
            h('th', { scope: 'col', class: 'num', text: 'Monthly limit' }),
            h('th', { scope: 'col', text: 'Of the limit' }))),
          body)));
    await every(async () => {
      const tree = await api(root ? `/orgs/${root}/tree` : '/orgs/tree');
      note.textContent = tree.truncated
        ? `Showing the first ${count(tree.organizations.length)} organizations; open one to see what lies below it.`
        : '';
      // A repaint keeps the keyboard where it was.
      const focusedRow = document.activeElement && document.activeElement.closest('#tree tr');
      const focusedId = focusedRow && focusedRow.dataset.orgId;
      body.replaceChildren(...tree.organizations.map(treeRow));
      if (focusedId) {
        const link = body.querySelector(`tr[data-org-id="${focusedId}"] a`);
        if (link) link.focus({ preventScroll: true });
      }
      performance.mark('tree-rendered');
    });
  }

  function treeRow(org) {
    const name = h('td', { class: 'tree-name' },
      org.depth > 0 ? h('span', { class: 'twig', 'aria-hidden': 'true', text: '\u2514' }) : null,
      h('a', { href: `#/org/${org.id}`, 'data-field': 'name' }, org.name),
      org.suspended ? h('span', { class: 'badge bad', text: 'suspended' }) : null);
    name.style.paddingLeft = `${0.6 + org.depth * 1.4}rem`;
    const month = org.this_month;
    return h('tr', { 'data-org-id': org.id, 'data-depth': String(org.depth) },
      name,
      figure('servers_count', org.servers_count, count(org.servers_count)),
      figure('message_rate', org.message_rate, rate(org.message_rate)),
      figure('queued_count', org.queued_count, count(org.queued_count)),
      figure('usage', month.usage, count(month.usage)),
      figure('limit', month.limit === null ? '' : month.limit, limitText(month.limit)),
      h('td', {}, usageMeter(month.usage, month.limit)));
  }

  // ---------------------------------------------------------------- one organization

  async function renderOrganization(id) {
    const org = await api(`/orgs/${id}`);
    const servers = h('div', { id: 'servers' });
    const month = h('div', { id: 'month' });
    const history = h('div', { class: 'chart', id: 'history', role: 'img', 'aria-label': 'Messages sent per month' });
    const months = h('tbody');
    page(org.name, h('span', {},
      `Permalink ${org.permalink}`,
      ' · ', h('a', { href: `#/tree/${id}`, text: 'its tree' }),
      ' · ', h('a', { href: `#/allocation/${id}`, text: 'IP allocation' }),
      ' · ', h('a', { href: `#/logs/${id}`, text: 'logs' })),
    panel('Servers, live', servers),
    h('div', { class: 'grid' },
      panel('This month', month),
      panel('Previous months', history,
        h('table', { id: 'months' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', text: 'Month' }),
            h('th', { scope: 'col', class: 'num', text: 'Sent' }),
            h('th', { scope: 'col', class: 'num', text: 'Limit' }),
            h('th', { scope: 'col', class: 'num', text: 'Spend' }))),
          months))));
    await every(async () => {
      const [stats, consumption] = await Promise.all([
        api(`/orgs/${id}/statistics`),
        api(`/orgs/${id}/consumption?months=12`),
      ]);
      renderServers(servers, id, stats.statistics);
      renderMonth(month, consumption);
      months.replaceChildren(...consumption.months.map((m) => h('tr', { 'data-month': m.month },
        h('td', { text: m.month }),
        figure('usage', m.usage, count(m.usage)),
        figure('limit', m.limit === null ? '' : m.limit, limitText(m.limit)),
        figure('spend', m.spend, `${count(m.spend)} cents`))));
      drawHistory(history, consumption);
    });
  }

  function renderServers(box, id, stats) {
    if (stats.servers.length === 0) {
      box.replaceChildren(h('div', { class: 'empty' },
        h('p', { text: 'No servers yet. Create one through the API, for example:' }),
        h('pre', {}, h('code', {}, `curl -X POST ${location.origin}/orgs/${id}/servers \\\n`
          + '  -H "Authorization: Bearer $ORGPLANE_KEY" -H "Content-Type: application/json" \\\n'
          + '  -d \'{"name": "Transactional", "mode": "Live"}\''))));
      return;
    }
    box.replaceChildren(
      h('dl', { class: 'figures' },
        h('div', {}, h('dt', { text: 'Rate, all servers' }), h('dd', { 'data-field': 'overall_message_rate', 'data-value': String(stats.overall_message_rate) }, rate(stats.overall_message_rate))),
        h('div', {}, h('dt', { text: 'Sent in the last 60 s' }), h('dd', { 'data-field': 'total_sent', 'data-value': String(stats.total_sent) }, `${count(stats.total_sent)} messages`)),
        h('div', {}, h('dt', { text: 'Queued' }), h('dd', { 'data-field': 'total_queued_count', 'data-value': String(stats.total_queued_count) }, `${count(stats.total_queued_count)} messages`))),
      h('table', { id: 'server-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'Server' }),
          h('th', { scope: 'col', class: 'num', text: 'Rate (last 60 s)' }),
          h('th', { scope: 'col', class: 'num', text: 'Sent (last 60 s)' }),
          h('th', { scope: 'col', class: 'num', text: 'Queued' }))),
        h('tbody', {}, stats.servers.map((server) => h('tr', { 'data-server-id': server.uuid },
          h('td', { text: server.name }),
          figure('message_rate', server.message_rate, rate(server.message_rate)),
          figure('sent_count', server.sent_count, count(server.sent_count)),
          figure('queued_count', server.queued_count, count(server.queued_count)))))));
  }

  function renderMonth(box, consumption) {
    const now = consumption.months[0];
    box.replaceChildren(
      h('dl', { class: 'figures' },
        h('div', {}, h('dt', { text: `Sent in ${now.month}` }), h('dd', { 'data-field': 'usage', 'data-value': String(now.usage) }, `${count(now.usage)} messages`)),
        h('div', {}, h('dt', { text: 'Monthly limit' }), h('dd', { 'data-field': 'limit', 'data-value': now.limit === null ? '' : String(now.limit) }, limitText(now.limit))),
        h('div', {}, h('dt', { text: 'Overage' }), h('dd', { 'data-field': 'overage', 'data-value': String(now.overage) }, `${count(now.overage)} messages`)),
        h('div', {}, h('dt', { text: 'Spend' }), h('dd', { 'data-field': 'spend', 'data-value': String(now.spend) }, `${count(now.spend)} cents`))),
      h('p', {}, usageMeter(now.usage, now.limit), ' ',
        `With its sub-organizations: ${count(now.with_descendants.usage)} messages, ${count(now.with_descendants.spend)} cents.`),
      h('p', { class: 'legend', text: `Overage is billed at ${count(consumption.overage_cents_per_thousand)} cents per 1,000 messages.` }));
  }

  function drawHistory(box, consumption) {
    const oldestFirst = [...consumption.months].reverse();
    const xs = oldestFirst.map((_, i) => i);
    const sent = oldestFirst.map((m) => m.usage);
    const limits = oldestFirst.map((m) => m.limit);
    if (chart) {
      chart.setData([xs, sent, limits]);
      return;
    }
    if (typeof uPlot !== 'function') return;
    const width = Math.max(box.clientWidth, 280);
    chart = new uPlot({
      width,
      height: 220,
      legend: { show: true },
      // Whole bars at both ends: the range reaches half a month beyond them.
      scales: { x: { time: false, range: (_, min, max) => [min - 0.5, max + 0.5] } },
      axes: [
        { values: (_, ticks) => ticks.map((t) => (oldestFirst[t] ? oldestFirst[t].month : '')) },
        { values: (_, ticks) => ticks.map((t) => count(t)), size: 70 },
      ],
      series: [
        // The legend shows the month under the cursor; nothing while there is none.
        { label: 'Month', value: (_, x) => (x === null || !oldestFirst[x] ? '\u2014' : oldestFirst[x].month) },
        { label: 'Sent', stroke: '#1f5fbf', fill: 'rgba(31,95,191,.35)', points: { show: false }, paths: uPlot.paths.bars({ size: [0.6, 60] }), value: (_, v, __, i) => (i === null ? '\u2014' : count(v)) },
        { label: 'Limit', stroke: '#a55800', dash: [6, 4], width: 2, points: { show: false }, value: (_, v, __, i) => (i === null ? '\u2014' : v === null ? 'unlimited' : count(v)) },
      ],
    }, [xs, sent, limits], box);
  }

  // ---------------------------------------------------------------- IP allocation

  async function renderAllocation(id) {
    const graph = h('div', { class: 'graph', id: 'allocation-graph' });
    const routes = h('tbody');
    page('IP allocation',
      'Addresses \u2192 pools \u2192 servers, with all-time messages on every edge. An address with an orange frame sits in several pools.',
      panel('Graph', graph),
      panel('Routes', h('table', { id: 'routes' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'Address' }),
          h('th', { scope: 'col', text: 'Pool' }),
          h('th', { scope: 'col', text: 'Server' }),
          h('th', { scope: 'col', class: 'num', text: 'Messages' }))),
        routes)));
    await every(async () => {
      const data = await api(`/orgs/${id}/ip_allocation`);
      view.querySelector('h1').textContent = `IP allocation of ${data.organization.name}`;
      OrgplaneGraph.draw(graph, data);
      const serverName = new Map(data.servers.map((srv) => [srv.uuid, srv.name]));
      routes.replaceChildren(...(data.routes.length ? data.routes.map((r) => h('tr', {},
        h('td', { text: r.ipv4 }),
        h('td', { text: r.ip_pool }),
        h('td', { text: r.server_id ? serverName.get(r.server_id) || r.server_id : 'another organization' }),
        figure('emails_sent', r.emails_sent, count(r.emails_sent)))) : [h('tr', {}, h('td', { colspan: '4', class: 'empty', text: 'Nothing sent yet: routes appear with the first message events.' }))]));
    });
  }

  // ---------------------------------------------------------------- logs

  const LOGS = {
    audit: { title: 'Audit log', path: 'audit_log' },
    children: { title: 'Sub-organizations\u2019 audit log', path: 'children_audit' },
    access: { title: 'Access log', path: 'access_log' },
  };

  /** An audit entry's changed fields, briefly: `city: "Paris", limit: 100`. */
  function changes(value) {
    if (!value || typeof value !== 'object') return '';
    const text = Object.entries(value).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
    return text.length > 80 ? `${text.slice(0, 79)}\u2026` : text;
  }

  async function renderLogs(id, params) {
    const kind = Object.hasOwn(LOGS, params.get('kind') || '') ? params.get('kind') : 'audit';
    const action = params.get('action') || '';
    const cursor = params.get('cursor') || '';
    const org = await api(`/orgs/${id}`);
    const query = new URLSearchParams({ limit: '25' });
    if (action) query.set('action', action);
    if (cursor) query.set('cursor', cursor);
    const page1 = await api(`/orgs/${id}/${LOGS[kind].path}?${query}`);
    const kindSelect = h('select', { id: 'log-kind', name: 'kind' },
      Object.entries(LOGS).map(([k, v]) => h('option', { value: k, selected: k === kind }, v.title)));
    const actionInput = h('input', { id: 'log-action', name: 'action', value: action, placeholder: kind === 'access' ? 'LOGIN, API_KEY or SESSION' : 'e.g. organization.update' });
    const go = (next) => {
      const q = new URLSearchParams({ kind: kindSelect.value });
      if (actionInput.value.trim()) q.set('action', actionInput.value.trim());
      if (next) q.set('cursor', next);
      location.hash = `#/logs/${id}?${q}`;
    };
    const isAccess = kind === 'access';
    const rows = page1.data.map((e) => h('tr', { 'data-action': e.action },
      h('td', {}, time(e.timestamp)),
      h('td', { text: isAccess ? e.user || '\u2014' : e.actor || 'system' }),
      h('td', {}, h('code', { text: e.action })),
      h('td', { text: isAccess ? `${e.status}${e.client_ip ? ` from ${e.client_ip}` : ''}` : `${e.target_type} ${e.target_id}` }),
      isAccess ? null : h('td', { class: 'changes', text: changes(e.changes) })));
    page(`${LOGS[kind].title} of ${org.name}`, 'Newest first, 25 to a page.',
      h('form', { class: 'toolbar', id: 'log-filter', onsubmit: (e) => { e.preventDefault(); go(null); } },
        h('label', { for: 'log-kind' }, 'Log ', kindSelect),
        h('label', { for: 'log-action' }, 'Action ', actionInput),
        h('button', { type: 'submit', text: 'Show' })),
      h('section', { class: 'panel', 'aria-label': LOGS[kind].title },
        h('table', { id: 'log', 'data-query': query.toString() },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', text: 'When' }),
            h('th', { scope: 'col', text: isAccess ? 'User' : 'Actor' }),
            h('th', { scope: 'col', text: 'Action' }),
            h('th', { scope: 'col', text: isAccess ? 'Result' : 'Target' }),
            isAccess ? null : h('th', { scope: 'col', text: 'Changes' }))),
          h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: isAccess ? '4' : '5', class: 'empty', text: action ? `No entries with the action ${action}. Clear the filter to see every entry.` : 'Nothing recorded yet.' })))),
        h('div', { class: 'pager' },
          cursor ? h('button', { type: 'button', class: 'quiet', id: 'first-page', onclick: () => go(null), text: 'First page' }) : null,
          page1.next_cursor ? h('button', { type: 'button', id: 'next-page', onclick: () => go(page1.next_cursor), text: 'Next page' }) : h('span', { class: 'legend', text: 'Last page.' }))));
  }

  // ---------------------------------------------------------------- routing

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  /** Shows the page the address names; `moveFocus` after an in-page navigation, so that
   * keyboard and screen-reader users land on the new content. */
  async function route(moveFocus) {
    stopRefresh();
    navigation.abort();
    navigation = new AbortController();
    // Signed out: the sign-in page stays as it is (with its message, if any).
    if (!credential) return document.getElementById('password-form') ? undefined : renderSignIn();
    if (!me) return start(moveFocus).catch((e) => renderSignIn(e.message));
    const [path, search] = location.hash.replace(/^#/, '').split('?');
    const [, section = 'tree', rawId] = path.split('/');
    const named = rawId && UUID.test(rawId) ? rawId : null;
    const id = named || me.organization_id;
    for (const link of document.querySelectorAll('#nav a')) {
      const target = link.dataset.nav;
      const tree = named ? `#/tree/${named}` : '#/tree';
      link.setAttribute('href', target === 'tree' ? tree : `#/${target}/${id}`);
      if (target === section) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    try {
      switch (section) {
        case 'org': await renderOrganization(id); break;
        case 'allocation': await renderAllocation(id); break;
        case 'logs': await renderLogs(id, new URLSearchParams(search || '')); break;
        default: await renderTree(named);
      }
      if (moveFocus === true) view.focus({ preventScroll: true });
    } catch (error) {
      if (aborted(error)) return;
      if (error instanceof ApiError && error.status === 404) {
        page('Not found', 'This organization does not exist, or you cannot reach it.', h('a', { href: '#/tree', text: 'Back to your organizations' }));
      } else {
        showError(error);
      }
    }
    // Which address the view now shows (for tools and tests to wait on).
    view.dataset.shown = location.hash;
  }

  window.addEventListener('hashchange', () => route(true));
  route(false);
})();
