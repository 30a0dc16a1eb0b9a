/* Officer pages' service worker (served from {{ scope }}sw.js so that it controls {{ scope }}).
   Static files: cache first. Pages under {{ scope }}: network first, the last copy when offline.
   Form posts that cannot reach the server are kept in IndexedDB and sent again later, each with
   the idempotency key its form carried, so a replay never creates a second task. */
'use strict';
const VERSION = '{{ version }}';
const STATIC = 'gt-static-' + VERSION;
const PAGES = 'gt-pages';
const SCOPE = '{{ scope }}';
const STATIC_PREFIX = '{{ static_prefix }}';
const SHELL = {{ shell|safe }};
const OFFLINE = '{{ offline }}';
const NOT_QUEUED = {{ not_queued|safe }};
const LOGIN = '{{ login }}';

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
             || url.pathname.startsWith(SCOPE + 'photos/'))) {
    e.respondWith(networkFirst(req));
    e.waitUntil(replay());
  }
});

function networkFirst(req) {
  return fetch(req).then((res) => {
    // A redirect (to the login page, say) is not the page asked for: keep the old copy.
    if (res.ok && !res.redirected && res.type === 'basic') {
      const copy = res.clone();
      caches.open(PAGES).then((c) => c.put(req, copy));
    }
    return res;
  }).catch(() => caches.open(PAGES).then((c) => c.match(req)).then(
    (hit) => hit || (req.mode === 'navigate' ? caches.match(OFFLINE) : Response.error())
  ));
}

async function sendOrQueue(req) {
  const copy = req.clone();
  try {
    return await fetch(req);
  } catch (err) {
    await queue(copy);
    if (self.registration.sync) self.registration.sync.register('gt-outbox').catch(() => {});
    tell({ count: await count() });
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
  return store('readwrite', (s) => s.add({ url: req.url, entries, at: Date.now() }));
}

const count = () => store('readonly', (s) => s.count());

async function tell(msg) {
  const all = await self.clients.matchAll({ includeUncontrolled: true });
  all.forEach((c) => c.postMessage(Object.assign({ type: 'outbox' }, msg)));
}

let replaying = null;
function replay() {
  replaying = replaying || sendQueued().finally(() => { replaying = null; });
  return replaying;
}

async function sendQueued() {
  const items = await store('readonly', (s) => s.getAll());
  if (!items || !items.length) return;
  let sent = 0; let failed = 0;
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
    await store('readwrite', (s) => s.delete(item.id));
    if (res.ok) sent += 1; else failed += 1;
  }
  tell({ count: await count(), sent, failed });
}

self.addEventListener('sync', (e) => {
  if (e.tag === 'gt-outbox') e.waitUntil(replay());
});

self.addEventListener('message', (e) => {
  const type = e.data && e.data.type;
  if (type === 'replay') e.waitUntil(replay().then(() => count()).then((n) => tell({ count: n })));
  else if (type === 'count') e.waitUntil(count().then((n) => tell({ count: n })));
});
