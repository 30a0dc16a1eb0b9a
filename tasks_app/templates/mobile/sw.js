/* Officer pages' service worker (served from {{ scope }}sw.js so that it controls {{ scope }}).
   Static files: cache first, the shell precached at install under its hashed names. Pages under
   {{ scope }}: network first, the last copy when offline; the pages open pages name (the list,
   the report form, my open tasks) are fetched ahead of time ("warm") so they open offline too.
   Form posts that cannot reach the server are kept in IndexedDB and sent again later (on
   reconnect, on the pages' timer, on Background Sync), each with the idempotency key its form
   carried, so a replay never creates a second task. A refusal (409 stale_version, another 4xx)
   stays in the outbox, marked refused, until the officer dismisses it; a 5xx or no network keeps
   the item queued. */
'use strict';
const VERSION = '{{ version }}';
const STATIC = 'gt-static-' + VERSION;
const PAGES = 'gt-pages';
const SCOPE = '{{ scope }}';
const PATROL = '{{ patrol }}';
const STATIC_PREFIX = '{{ static_prefix }}';
const SHELL = {{ shell|safe }};
const OFFLINE = '{{ offline }}';
const NOT_QUEUED = {{ not_queued|safe }};
const LOGIN = '{{ login }}';
const WARM_MAX = 40; // pages fetched ahead per request from a page
const WARM_AGE_MS = 5 * 60 * 1000; // a warmed copy younger than this is not fetched again
const NETWORK_WAIT_MS = 8000; // weak signal: after this, a cached copy of a page wins

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(STATIC).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith('gt-static-') && k !== STATIC).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST') {
    if (url.pathname.startsWith(SCOPE) && !NOT_QUEUED.includes(url.pathname)) {
      e.respondWith(sendOrQueue(req));
    }
    return;
  }
  if (req.method !== 'GET') return;
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    e.respondWith(caches.match(req).then((hit) => hit || fetch(req).then((res) => {
      if (res.ok) { const copy = res.clone(); caches.open(STATIC).then((c) => c.put(req, copy)); }
      return res;
    })));
  } else if (url.pathname.startsWith(SCOPE) && (req.mode === 'navigate'
             || req.headers.get('X-Refresh') === '1'
             || url.pathname.startsWith(SCOPE + 'photos/'))) {
    e.respondWith(networkFirst(req));
    e.waitUntil(replay());
  }
});

function keep(res) {
  // A redirect (to the login page, say) is not the page asked for: keep the old copy.
  return res.ok && !res.redirected && res.type === 'basic';
}

function networkFirst(req) {
  const cached = () => caches.open(PAGES).then((c) => c.match(req, { ignoreVary: true }));
  const network = fetch(req).then((res) => {
    if (keep(res)) {
      const copy = res.clone();
      caches.open(PAGES).then((c) => c.put(req.url, copy));
    }
    return res;
  });
  // Weak signal: a page that hangs gives way to its copy after a while (if there is one).
  const slow = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS)).then(cached)
    .then((hit) => hit || network);
  return Promise.race([network, slow]).catch(() => cached().then(
    (hit) => hit || (req.mode === 'navigate' ? caches.match(OFFLINE) : Response.error())
  ));
}

// Fetch pages ahead of time so they open offline: the list, the report form, my open tasks.
async function warm(urls) {
  const cache = await caches.open(PAGES);
  const now = Date.now();
  const todo = [];
  for (const raw of (urls || []).slice(0, WARM_MAX)) {
    const url = new URL(raw, self.location.origin);
    if (url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) continue;
    const hit = await cache.match(url.href, { ignoreVary: true });
    const at = hit && Date.parse(hit.headers.get('Date') || '');
    if (hit && at && now - at < WARM_AGE_MS) continue;
    todo.push(url.href);
  }
  for (const href of todo) {
    try {
      const res = await fetch(href, { credentials: 'same-origin', headers: { 'X-Warm': '1' } });
      if (keep(res)) await cache.put(href, res);
      else if (res.status === 404 || res.status === 403) await cache.delete(href);
    } catch (err) {
      return; // offline: try again on the next visit
    }
  }
}

// Static files the page itself loads (their hashed names), kept with the shell.
async function warmStatic(urls) {
  const cache = await caches.open(STATIC);
  for (const raw of (urls || []).slice(0, WARM_MAX)) {
    const url = new URL(raw, self.location.origin);
    if (url.origin !== self.location.origin || !url.pathname.startsWith(STATIC_PREFIX)) continue;
    if (await cache.match(url.href)) continue;
    try {
      const res = await fetch(url.href);
      if (res.ok) await cache.put(url.href, res);
    } catch (err) {
      return;
    }
  }
}

async function sendOrQueue(req) {
  const copy = req.clone();
  try {
    return await fetch(req);
  } catch (err) {
    await queue(copy);
    if (self.registration.sync) self.registration.sync.register('gt-outbox').catch(() => {});
    tell({});
    if (req.headers.get('X-Upload') === '1') {
      return new Response(JSON.stringify({ queued: true }),
        { status: 202, headers: { 'Content-Type': 'application/json' } });
    }
    return Response.redirect(SCOPE, 303);
  }
}

// -- the outbox in IndexedDB -------------------------------------------------------------------
function db() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('gt-outbox', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('requests',
      { keyPath: 'id', autoIncrement: true });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function store(mode, work) {
  return db().then((d) => new Promise((resolve, reject) => {
    const tx = d.transaction('requests', mode);
    const r = work(tx.objectStore('requests'));
    tx.oncomplete = () => resolve(r && r.result);
    tx.onerror = () => reject(tx.error);
  }));
}

async function queue(req) {
  const form = await req.formData();
  const entries = [];
  form.forEach((v, k) => entries.push(v instanceof File ? [k, v, v.name] : [k, v]));
  return store('readwrite', (s) => s.add({ url: req.url, entries, at: Date.now(),
                                           state: 'queued' }));
}

// What a queued post is, for the pages' banner: its kind, its task and where to look at it.
function esc(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }
const KINDS = [
  [new RegExp('^' + esc(PATROL) + 'start/$'), () => ({ kind: 'patrol_start', open: PATROL })],
  [new RegExp('^' + esc(PATROL) + '(\\d+)/check-in/$'),
    (m) => ({ kind: 'check_in', open: PATROL + m[1] + '/' })],
  [new RegExp('^' + esc(PATROL) + '(\\d+)/end/$'),
    (m) => ({ kind: 'patrol_end', open: PATROL + m[1] + '/' })],
  [new RegExp('^' + esc(SCOPE) + 't/(\\d+)/(\\w+)/$'),
    (m) => ({ kind: m[2], task: +m[1], open: SCOPE + 't/' + m[1] + '/' })],
  [new RegExp('^' + esc(SCOPE) + 'report/$'), () => ({ kind: 'report', open: '' })],
];
function describe(item) {
  const path = new URL(item.url).pathname;
  let found = { kind: 'other', open: '' };
  for (const [re, make] of KINDS) {
    const m = path.match(re);
    if (m) { found = make(m); break; }
  }
  return Object.assign(found, {
    id: item.id, at: item.at, state: item.state || 'queued', status: item.status || 0,
    code: item.code || '', errors: item.errors || [],
  });
}

async function snapshot() {
  const items = (await store('readonly', (s) => s.getAll())) || [];
  return {
    count: items.filter((i) => (i.state || 'queued') === 'queued').length,
    items: items.map(describe),
  };
}

async function tell(msg) {
  const state = await snapshot();
  const all = await self.clients.matchAll({ includeUncontrolled: true });
  all.forEach((c) => c.postMessage(Object.assign({ type: 'outbox' }, state, msg)));
}

let replaying = null;
function replay() {
  replaying = replaying || sendQueued().finally(() => { replaying = null; });
  return replaying;
}

async function refusal(res) {
  let data = {};
  try { data = await res.json(); } catch (err) { data = {}; }
  const errors = Array.isArray(data.errors) ? data.errors.map(String) : [];
  return { code: String(data.code || ''), errors };
}

// Returns true when nothing queued is left (Background Sync retries otherwise).
async function sendQueued() {
  const items = ((await store('readonly', (s) => s.getAll())) || [])
    .filter((i) => (i.state || 'queued') === 'queued');
  if (!items.length) return true;
  let sent = 0; let refused = 0; let left = items.length;
  const changed = new Set();
  for (const item of items) {
    const body = new FormData();
    item.entries.forEach((e) => (e.length === 3 ? body.append(e[0], e[1], e[2])
                                                : body.append(e[0], e[1])));
    let res;
    try {
      res = await fetch(item.url, { method: 'POST', body, credentials: 'same-origin',
                                    headers: { 'X-Upload': '1' } });
    } catch (err) {
      break; // still offline: keep the rest for later
    }
    // Logged out meanwhile: keep it until the officer logs in again.
    if (res.redirected && new URL(res.url).pathname === LOGIN) break;
    // The server failed (or asks to wait): not the officer's fault, send it again later.
    if (res.status >= 500 || res.status === 408 || res.status === 429) break;
    left -= 1;
    const what = describe(item);
    if (what.open) changed.add(what.open);
    if (res.ok) {
      await store('readwrite', (s) => s.delete(item.id));
      sent += 1;
    } else {
      // Refused (409 stale_version, 400, 403, 404): kept, shown, until the officer dismisses it.
      const why = await refusal(res);
      Object.assign(item, { state: 'refused', status: res.status, code: why.code,
                            errors: why.errors });
      await store('readwrite', (s) => s.put(item));
      refused += 1;
    }
  }
  if (sent) {
    // The copies kept for offline use show what was just changed: fetch them again.
    changed.add(SCOPE);
    await warmAgain([...changed]);
  }
  await tell({ sent, failed: refused });
  return left === 0;
}

async function warmAgain(urls) {
  const cache = await caches.open(PAGES);
  await Promise.all(urls.map((u) => cache.delete(new URL(u, self.location.origin).href,
                                                 { ignoreVary: true, ignoreSearch: true })));
  await warm(urls);
}

async function dismiss(id) {
  await store('readwrite', (s) => {
    const get = s.get(id);
    get.onsuccess = () => {
      if (get.result && get.result.state === 'refused') s.delete(id);
    };
    return get;
  });
}

self.addEventListener('sync', (e) => {
  if (e.tag === 'gt-outbox') {
    e.waitUntil(replay().then((empty) => {
      if (!empty) throw new Error('still queued'); // the browser retries later
    }));
  }
});

self.addEventListener('message', (e) => {
  const d = e.data || {};
  if (d.type === 'replay') e.waitUntil(replay().then(() => tell({})));
  else if (d.type === 'count') e.waitUntil(tell({}));
  else if (d.type === 'dismiss') e.waitUntil(dismiss(+d.id).then(() => tell({})));
  else if (d.type === 'warm') e.waitUntil(warmStatic(d.assets).then(() => warm(d.pages)));
});
