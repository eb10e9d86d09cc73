// Orgplane dashboard: the IP allocation graph, drawn as SVG by the page itself. A layered
// graph: addresses, pools, servers in three columns, each edge as wide as its volume.
'use strict';

window.OrgplaneGraph = (() => {
  const numbers = new Intl.NumberFormat(undefined);
  const count = (n) => numbers.format(n);
  const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}\u2026` : text);

  const svgNs = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const node = document.createElementNS(svgNs, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }

  /** A layered graph: one column per kind, edges as curves as wide as their volume. */
  function draw(box, data) {
    const addresses = new Map();
    const pools = new Map();
    const servers = new Map();
    for (const a of data.ip_addresses) addresses.set(a.ipv4, { key: a.ipv4, label: a.ipv4, sub: a.hostname, volume: a.emails_sent, pools: a.ip_pools.length });
    for (const p of data.ip_pools) pools.set(p.name, { key: p.name, label: p.name, sub: p.default ? 'default pool' : 'pool', volume: p.emails_sent });
    for (const srv of data.servers) servers.set(srv.uuid, { key: srv.uuid, label: srv.name, sub: srv.ip_pool ? `pool ${srv.ip_pool}` : 'no pool', volume: srv.emails_sent });
    const left = new Map();
    const right = new Map();
    const add = (edges, from, to, volume) => {
      const k = `${from}\u0000${to}`;
      edges.set(k, { from, to, volume: (edges.get(k) || { volume: 0 }).volume + volume });
    };
    // Memberships and assignments as they are now, then the traffic of every route.
    for (const a of data.ip_addresses) for (const p of a.ip_pools) add(left, a.ipv4, p, 0);
    for (const srv of data.servers) if (srv.ip_pool) add(right, srv.ip_pool, srv.uuid, 0);
    for (const r of data.routes) {
      if (!addresses.has(r.ipv4)) addresses.set(r.ipv4, { key: r.ipv4, label: r.ipv4, sub: 'a parent\u2019s address', volume: 0, pools: 1 });
      if (!pools.has(r.ip_pool)) pools.set(r.ip_pool, { key: r.ip_pool, label: r.ip_pool, sub: 'a parent\u2019s pool', volume: 0 });
      const server = r.server_id || 'others';
      if (!servers.has(server)) servers.set(server, { key: server, label: 'Other organizations', sub: 'using this pool', volume: 0 });
      add(left, r.ipv4, r.ip_pool, r.emails_sent);
      add(right, r.ip_pool, server, r.emails_sent);
    }
    for (const e of left.values()) if (!pools.has(e.to)) pools.set(e.to, { key: e.to, label: e.to, sub: 'pool', volume: 0 });
    for (const e of right.values()) if (!pools.has(e.from)) pools.set(e.from, { key: e.from, label: e.from, sub: 'a parent\u2019s pool', volume: 0 });
    const columns = [[...addresses.values()], [...pools.values()], [...servers.values()]];
    if (columns.every((c) => c.length === 0)) {
      const empty = document.createElement('p');
      empty.className = 'empty';
      empty.textContent = 'No addresses, pools or servers yet. Create an IP address (POST /orgs/{id}/ip_addresses), a pool (POST /orgs/{id}/ip_pools), join them (PUT /ip_pools/{pool}/ip_addresses/{address}), then a server.';
      box.replaceChildren(empty);
      return;
    }
    const rowH = 54;
    const nodeW = 190;
    const nodeH = 40;
    const width = 960;
    const xs = [10, (width - nodeW) / 2, width - nodeW - 10];
    const rows = Math.max(...columns.map((c) => c.length), 1);
    const height = 40 + rows * rowH;
    const at = new Map();
    columns.forEach((column, c) => column.forEach((node, i) => {
      at.set(`${c}:${node.key}`, { x: xs[c], y: 30 + i * rowH + (rows - column.length) * rowH / 2 });
    }));
    const max = Math.max(1, ...[...left.values(), ...right.values()].map((e) => e.volume));
    const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'graph-title' },
      s('title', { id: 'graph-title', text: `IP allocation of ${data.organization.name}` }),
      ['IP addresses', 'IP pools', 'Servers'].map((title, c) => s('text', { class: 'column', x: String(xs[c]), y: '16', text: title })));
    const edge = (e, fromCol, toCol) => {
      const a = at.get(`${fromCol}:${e.from}`);
      const b = at.get(`${toCol}:${e.to}`);
      if (!a || !b) return;
      const x1 = a.x + nodeW;
      const y1 = a.y + nodeH / 2;
      const x2 = b.x;
      const y2 = b.y + nodeH / 2;
      const mid = (x1 + x2) / 2;
      const path = s('path', {
        class: e.volume > 0 ? 'edge' : 'edge idle',
        d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        'stroke-width': String(e.volume > 0 ? 2 + 18 * (e.volume / max) : 1.5),
        'data-from': e.from, 'data-to': e.to, 'data-volume': String(e.volume),
      }, s('title', { text: `${e.from} \u2192 ${e.to}: ${count(e.volume)} messages` }));
      svg.append(path);
      svg.append(s('text', { class: 'edge-label', x: String(mid - 20), y: String((y1 + y2) / 2 - 4), text: count(e.volume) }));
    };
    for (const e of left.values()) edge(e, 0, 1);
    for (const e of right.values()) edge(e, 1, 2);
    columns.forEach((column, c) => column.forEach((node) => {
      const p = at.get(`${c}:${node.key}`);
      const multi = c === 0 && node.pools > 1;
      svg.append(s('g', { class: multi ? 'node multi' : 'node', 'data-key': node.key, transform: `translate(${p.x},${p.y})` },
        s('rect', { width: String(nodeW), height: String(nodeH), rx: '6' }),
        s('text', { x: '8', y: '16', text: clip(node.label, 26) }),
        s('text', { class: 'vol', x: '8', y: '32', text: clip(`${count(node.volume)} msgs \u00b7 ${multi ? `in ${node.pools} pools` : node.sub}`, 30) }),
        s('title', { text: `${node.label}: ${count(node.volume)} messages, ${multi ? `in ${node.pools} pools` : node.sub}` })));
    }));
    box.replaceChildren(svg);
  }

  return { draw };
})();
