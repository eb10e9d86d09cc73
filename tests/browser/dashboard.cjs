// The dashboard in real headless Chromium (playwright-core, Debian's chromium), over a
// seeded data set: sign in, the tree, one organization, the allocation graph, the logs,
// sign out, sign in with a key. Every figure on a page is compared with what the API
// answers the same credential; a sibling tenant never shows; the page logs no errors.
// Run by tests/e2e/dashboard.rs, which seeds the data and passes it in the environment.
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env('ORGPLANE_URL');
const EMAIL = env('ORGPLANE_EMAIL');
const PASSWORD = env('ORGPLANE_PASSWORD');
const API_KEY = env('ORGPLANE_API_KEY');
const ORG = env('ORGPLANE_ORG');
const SIBLING = env('ORGPLANE_SIBLING');
const SIBLING_NAME = env('ORGPLANE_SIBLING_NAME');
const OUT = env('ORGPLANE_OUT');
const MULTI_POOL_IPV4 = env('ORGPLANE_MULTI_POOL_IPV4');
const PLATFORM_KEY = env('ORGPLANE_PLATFORM_KEY');

const problems = [];
const check = (ok, message) => {
  if (!ok) problems.push(message);
  return ok;
};

async function api(token, route) {
  const r = await fetch(`${BASE}${route}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

/** Retries `compare` across the page's refreshes: live figures move with the clock. */
async function settle(page, label, compare) {
  let last = [];
  for (let attempt = 0; attempt < 4; attempt += 1) {
    last = await compare();
    if (last.length === 0) return;
    await page.waitForTimeout(5500);
  }
  for (const m of last) problems.push(`${label}: ${m}`);
}

/** `data-field` cells of the rows matching `rowSelector`, keyed by `keyAttr`. */
async function cells(page, rowSelector, keyAttr) {
  return page.$$eval(rowSelector, (rows, key) => rows.map((row) => ({
    key: row.getAttribute(key),
    fields: Object.fromEntries([...row.querySelectorAll('[data-field]')].map((c) => [c.dataset.field, { value: c.dataset.value, text: c.textContent }])),
  })), keyAttr);
}

const same = (shown, expected) => (shown === undefined ? false : shown.value === String(expected === null ? '' : expected));

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env('ORGPLANE_CHROMIUM'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Tokyo', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // The suite runs many tests at once on a small machine: generous waits, exact checks.
  page.setDefaultTimeout(60000);
  // Chromium reports every answer of 400 or more as a console error. The steps that
  // expect one (a wrong password, a wrong key, a sibling's id) allow exactly one each.
  let expectedHttpErrors = 0;
  const allowHttpError = () => { expectedHttpErrors += 1; };
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    if (expectedHttpErrors > 0 && /^Failed to load resource: the server responded with a status of (401|404)/.test(m.text())) {
      expectedHttpErrors -= 1;
      return;
    }
    problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  const apiCalls = [];
  page.on('request', (r) => { if (!r.url().includes('/dashboard')) apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  const figures = {};

  // Sign in with e-mail and password.
  await page.goto(`${BASE}/dashboard`);
  await page.waitForSelector('#password-form');
  await page.fill('#email', EMAIL);
  await page.fill('#password', 'wrong password');
  allowHttpError();
  await page.click('#password-form button[type=submit]');
  await page.waitForSelector('#view [role=alert]:not(:empty)', { timeout: 10000 }).catch(() => check(false, 'a wrong password shows no error'));
  await page.fill('#password', PASSWORD);
  await page.click('#password-form button[type=submit]');
  await page.waitForSelector('#tree tbody tr');
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('orgplane.credential')).token);
  const me = (await api(token, '/auth/me')).body;

  // First paint of the tree, reloaded with the credential kept for the tab.
  apiCalls.length = 0;
  await page.reload();
  await page.waitForSelector('#tree tbody tr');
  const timing = await page.evaluate(() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const tree = performance.getEntriesByName('tree-rendered')[0];
    return { first_contentful_paint_ms: paint ? paint.startTime : null, tree_rendered_ms: tree ? tree.startTime : null };
  });
  Object.assign(figures, timing);
  check(timing.tree_rendered_ms !== null, 'the tree was never marked as rendered');

  // The tree: every organization the API lists, in its order, with the same figures.
  await settle(page, 'tree', async () => {
    const tree = (await api(token, `/orgs/${me.organization_id}/tree`)).body;
    const rows = await cells(page, '#tree tbody tr', 'data-org-id');
    const wrong = [];
    if (rows.length !== tree.organizations.length) wrong.push(`${rows.length} rows, the API lists ${tree.organizations.length}`);
    tree.organizations.forEach((org, i) => {
      const row = rows[i];
      if (!row || row.key !== org.id) { wrong.push(`row ${i} is ${row && row.key}, not ${org.id}`); return; }
      for (const [field, expected] of [['servers_count', org.servers_count], ['message_rate', org.message_rate], ['queued_count', org.queued_count], ['usage', org.this_month.usage], ['limit', org.this_month.limit]]) {
        if (!same(row.fields[field], expected)) wrong.push(`${org.name} ${field}: page ${JSON.stringify(row.fields[field])}, API ${expected}`);
      }
      if (row.fields.name.text !== org.name) wrong.push(`name ${row.fields.name.text} != ${org.name}`);
    });
    figures.tree_rows = rows.length;
    return wrong;
  });
  const busy = await page.$eval(`#tree tr[data-org-id="${ORG}"] [data-field=usage]`, (c) => c.textContent);
  check(/^\d{1,3}(,\d{3})+$/.test(busy), `sent this month is shown with thousands separators: ${busy}`);
  check(apiCalls.filter((c) => c.endsWith('/tree')).length >= 1, 'the tree came from /tree');
  // Its name nowhere in the page, its id nowhere in what the page shows.
  const siblingShown = async () => (await page.content()).includes(SIBLING_NAME)
    || (await page.$eval('#view', (v) => v.innerHTML)).includes(SIBLING);
  check(!(await siblingShown()), 'the sibling tenant shows in the tree');
  await page.screenshot({ path: path.join(OUT, 'tree.png') });

  // A refresh costs one request for the tree panel: between two refreshes, nothing else.
  const treeRequest = (r) => r.url().endsWith('/tree');
  await page.waitForRequest(treeRequest, { timeout: 10000 });
  apiCalls.length = 0;
  await page.waitForRequest(treeRequest, { timeout: 10000 });
  await page.waitForTimeout(300);
  check(apiCalls.length === 1 && apiCalls[0].endsWith('/tree'), `one refresh of the tree made ${JSON.stringify(apiCalls)}`);

  // Keyboard: on a fresh load, the skip link, then the sections, are reached with Tab.
  await page.reload();
  await page.waitForSelector('#tree tbody tr');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.classList.contains('skip')), 'Tab does not reach the skip link first');
  const focusable = [];
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press('Tab');
    focusable.push(await page.evaluate(() => document.activeElement.textContent.trim()));
  }
  check(focusable.includes('IP allocation') && focusable.includes('Logs'), `Tab order misses the sections: ${focusable}`);

  // One organization: its servers live, this month, previous months.
  await page.click(`#tree tr[data-org-id="${ORG}"] a`);
  await page.waitForSelector('#server-table tbody tr');
  await page.waitForSelector('#history canvas');
  await settle(page, 'organization', async () => {
    const stats = (await api(token, `/orgs/${ORG}/statistics`)).body.statistics;
    const consumption = (await api(token, `/orgs/${ORG}/consumption?months=12`)).body;
    const wrong = [];
    const rows = await cells(page, '#server-table tbody tr', 'data-server-id');
    if (rows.length !== stats.servers.length) wrong.push(`${rows.length} server rows, API ${stats.servers.length}`);
    for (const server of stats.servers) {
      const row = rows.find((r) => r.key === server.uuid);
      if (!row) { wrong.push(`server ${server.name} missing`); continue; }
      for (const field of ['message_rate', 'sent_count', 'queued_count']) {
        if (!same(row.fields[field], server[field])) wrong.push(`${server.name} ${field}: page ${JSON.stringify(row.fields[field])}, API ${server[field]}`);
      }
    }
    const shown = await page.$$eval('#servers [data-field], #month [data-field]', (els) => Object.fromEntries(els.map((e) => [e.dataset.field, e.dataset.value])));
    for (const field of ['overall_message_rate', 'total_sent', 'total_queued_count']) {
      if (shown[field] !== String(stats[field])) wrong.push(`${field}: page ${shown[field]}, API ${stats[field]}`);
    }
    const now = consumption.months[0];
    for (const field of ['usage', 'overage', 'spend']) {
      if (shown[field] !== String(now[field])) wrong.push(`this month ${field}: page ${shown[field]}, API ${now[field]}`);
    }
    if (shown.limit !== String(now.limit === null ? '' : now.limit)) wrong.push(`limit: page ${shown.limit}, API ${now.limit}`);
    const months = await cells(page, '#months tbody tr', 'data-month');
    if (months.length !== consumption.months.length) wrong.push(`${months.length} months, API ${consumption.months.length}`);
    figures.sent_this_month = now.usage;
    return wrong;
  });
  await page.screenshot({ path: path.join(OUT, 'organization.png'), fullPage: true });

  // The allocation graph: every route an edge with its volume; the address in two pools framed.
  await page.click('a[href^="#/allocation/"]');
  await page.waitForSelector('#allocation-graph svg');
  await settle(page, 'allocation', async () => {
    const allocation = (await api(token, `/orgs/${ORG}/ip_allocation`)).body;
    const wrong = [];
    const edges = await page.$$eval('#allocation-graph path.edge, #allocation-graph path.edge.idle', (ps) => ps.map((p) => ({ from: p.dataset.from, to: p.dataset.to, volume: Number(p.dataset.volume) })));
    const fromAddresses = edges.filter((e) => allocation.ip_addresses.some((a) => a.ipv4 === e.from));
    const total = allocation.routes.reduce((n, r) => n + r.emails_sent, 0);
    const drawn = fromAddresses.reduce((n, e) => n + e.volume, 0);
    if (drawn !== total) wrong.push(`address edges carry ${drawn}, the routes ${total}`);
    for (const route of allocation.routes) {
      const e = edges.find((x) => x.from === route.ipv4 && x.to === route.ip_pool);
      if (!e) wrong.push(`no edge ${route.ipv4} -> ${route.ip_pool}`);
    }
    const multi = allocation.ip_addresses.find((a) => a.ipv4 === MULTI_POOL_IPV4);
    if (!multi || multi.ip_pools.length < 2) wrong.push(`the API does not show ${MULTI_POOL_IPV4} in two pools`);
    const framed = await page.$$eval('#allocation-graph g.node.multi', (gs) => gs.map((g) => g.dataset.key));
    if (!framed.includes(MULTI_POOL_IPV4)) wrong.push(`${MULTI_POOL_IPV4} is not framed as in several pools: ${framed}`);
    const toPools = edges.filter((e) => e.from === MULTI_POOL_IPV4).map((e) => e.to);
    if (multi && toPools.length !== multi.ip_pools.length) wrong.push(`${MULTI_POOL_IPV4} has ${toPools.length} edges, ${multi.ip_pools.length} pools`);
    const routeRows = await page.$$eval('#routes tbody tr [data-field=emails_sent]', (cs) => cs.map((c) => Number(c.dataset.value)));
    if (JSON.stringify(routeRows) !== JSON.stringify(allocation.routes.map((r) => r.emails_sent))) wrong.push(`route table ${routeRows}`);
    figures.routes = allocation.routes.length;
    return wrong;
  });
  await page.screenshot({ path: path.join(OUT, 'allocation.png'), fullPage: true });

  // The logs: paginated, filterable by action.
  await page.click('#nav a[data-nav=logs]');
  await page.waitForSelector('#log tbody tr');
  const audit = (await api(token, `/orgs/${ORG}/audit_log?limit=25`)).body;
  const shownActions = await page.$$eval('#log tbody tr', (rs) => rs.map((r) => r.dataset.action));
  check(JSON.stringify(shownActions) === JSON.stringify(audit.data.map((e) => e.action)), `audit page ${shownActions} != API ${audit.data.map((e) => e.action)}`);
  const firstTime = await page.$eval('#log tbody tr time', (t) => ({ title: t.title, text: t.textContent, at: t.getAttribute('datetime') }));
  check(firstTime.title.startsWith('UTC: ') && firstTime.title.endsWith(' Z'), `time has UTC on hover: ${firstTime.title}`);
  const tokyo = await page.evaluate((at) => new Date(at).toLocaleString('en-US', { timeZone: 'Asia/Tokyo' }), firstTime.at);
  check(firstTime.text === tokyo, `time in the viewer's zone: ${firstTime.text} != ${tokyo}`);
  if (audit.next_cursor) {
    await page.click('#next-page');
    await page.waitForSelector('#first-page');
    const second = (await api(token, `/orgs/${ORG}/audit_log?limit=25&cursor=${encodeURIComponent(audit.next_cursor)}`)).body;
    const actions2 = await page.$$eval('#log tbody tr', (rs) => rs.map((r) => r.dataset.action));
    check(JSON.stringify(actions2) === JSON.stringify(second.data.map((e) => e.action)), 'the second audit page differs from the API');
  } else {
    check(false, 'the seeded audit log fits one page: pagination is not exercised');
  }
  await page.fill('#log-action', 'server.create');
  await page.click('#log-filter button[type=submit]');
  // The table names the query it shows: wait for the filtered one, not the page before.
  await page.waitForSelector('#log[data-query*="action=server.create"]');
  const filtered = await page.$$eval('#log tbody tr', (rs) => rs.map((r) => r.dataset.action));
  const apiFiltered = (await api(token, `/orgs/${ORG}/audit_log?limit=25&action=server.create`)).body.data;
  check(filtered.length === apiFiltered.length && filtered.length > 0 && filtered.every((a) => a === 'server.create'), `filtered log: ${filtered}`);
  figures.audit_entries_filtered = filtered.length;
  await page.fill('#log-action', '');
  await page.click('#log-filter button[type=submit]');
  await page.waitForSelector('#log[data-query="limit=25"]');
  await page.waitForSelector('#next-page');
  await page.screenshot({ path: path.join(OUT, 'logs.png') });
  // The sign-in is in the access log of the user's own organization. The view names the
  // address it shows: wait for it, not for the page before.
  const shown = (hash) => page.waitForSelector(`#view[data-shown="${hash}"]`);
  await page.goto(`${BASE}/dashboard#/logs/${me.organization_id}`);
  await shown(`#/logs/${me.organization_id}`);
  await page.selectOption('#log-kind', 'access');
  await page.click('#log-filter button[type=submit]');
  await shown(`#/logs/${me.organization_id}?kind=access`);
  const access = await page.$$eval('#log tbody tr', (rs) => rs.map((r) => r.dataset.action));
  check(access.includes('LOGIN'), `the access log shows the sign-in: ${access}`);

  // The sibling tenant: not reachable by address either.
  allowHttpError();
  await page.goto(`${BASE}/dashboard#/org/${SIBLING}`);
  await shown(`#/org/${SIBLING}`);
  check((await page.textContent('h1')) === 'Not found', "a sibling's page is not found");
  check(!(await siblingShown()), 'the sibling tenant shows on its own page');
  allowHttpError();
  await page.goto(`${BASE}/dashboard#/tree/${SIBLING}`);
  await shown(`#/tree/${SIBLING}`);
  check((await page.textContent('h1')) === 'Not found', "a sibling's tree is not found");
  check(!(await siblingShown()), "the sibling tenant shows as a tree");

  // 200 % zoom: a 640 px wide window reflows without a page-wide scrollbar.
  await page.setViewportSize({ width: 640, height: 900 });
  await page.goto(`${BASE}/dashboard#/org/${ORG}`);
  await page.waitForSelector('#server-table');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `at 200 % zoom the page scrolls sideways by ${overflow} px`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Sign out: the session ends on the server too.
  await page.goto(`${BASE}/dashboard#/tree`);
  await page.waitForSelector('#tree tbody tr');
  await page.click('#sign-out');
  await page.waitForSelector('#password-form');
  check((await api(token, '/auth/me')).status === 401, 'the session still works after signing out');

  // Sign in with an API key; a wrong key is refused with a message.
  await page.fill('#api-key', 'live_not_a_key');
  allowHttpError();
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('[role=alert]:not(:empty)');
  await page.fill('#api-key', API_KEY);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#tree tbody tr');
  check(!(await siblingShown()), 'the sibling tenant shows to the key');

  // The platform's operator sees every tenant: one tree per top-level organization.
  await page.click('#sign-out');
  await page.waitForSelector('#key-form');
  check((await page.textContent('#view [role=alert]')) === 'You are signed out.', 'the sign-out message stays');
  await page.fill('#api-key', PLATFORM_KEY);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#tree tbody tr');
  await settle(page, 'forest', async () => {
    const forest = (await api(PLATFORM_KEY, '/orgs/tree')).body;
    const rows = await cells(page, '#tree tbody tr', 'data-org-id');
    const wrong = [];
    if (rows.length !== forest.organizations.length) wrong.push(`${rows.length} rows, the API ${forest.organizations.length}`);
    if (forest.organizations.filter((o) => o.depth === 0).length < 3) wrong.push('fewer than 3 top-level organizations');
    figures.operator_tree_rows = rows.length;
    return wrong;
  });
  check((await page.content()).includes(SIBLING_NAME), "the operator does not see every tenant");

  check(expectedHttpErrors === 0, `${expectedHttpErrors} expected error answers never came`);
  await browser.close();
  figures.screenshots = fs.readdirSync(OUT).filter((f) => f.endsWith('.png'));
  console.log(JSON.stringify({ figures, problems }));
  process.exit(problems.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log(JSON.stringify({ figures: {}, problems: [...problems, `crashed: ${error.stack || error}`] }));
  process.exit(2);
});
