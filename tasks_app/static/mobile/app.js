/* Officer pages: idempotency keys, photo shrinking with upload progress, the report page's
   position (GPS or a tap on the map), and the link to the service worker's offline queue. */
(function () {
  'use strict';
  var B = document.body;
  var PAGES = 'gt-pages';
  var MAX_EDGE = 1600;
  function t(name, n) { return (B.dataset['t' + name] || '').replace(/\{\w\}/, n); }
  function $(sel, root) { return (root || document).querySelector(sel); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  var flash = sessionStorage.getItem('gt-flash') || '';
  sessionStorage.removeItem('gt-flash');
  var box = $('#outbox');
  var items = $('#outbox-items');
  function s(name) { return (items && items.dataset['t' + name]) || ''; }
  function fmt(text, values) {
    return (text || '').replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function note(text, extra) {
    if (!box) return;
    box.textContent = [flash, text].filter(Boolean).join(' · ');
    if (extra) box.appendChild(extra);
    box.hidden = !box.textContent;
  }

  // -- service worker and the offline queue ---------------------------------------------------
  // The worker keeps what could not be sent (IndexedDB) and sends it when asked: on reconnect,
  // every few seconds while anything waits, on each page load. It tells every page what is
  // queued and what was refused; the page shows it, and re-reads its own content once sent.
  var sw = navigator.serviceWorker;
  var queued = 0;
  var sentHere = 0;
  var stale = false;
  function toWorker(msg) {
    if (sw && sw.controller) sw.controller.postMessage(msg);
  }
  function kindName(kind) {
    var k = String(kind || 'other').replace(/_/g, '');
    return (items && items.dataset['k' + k.charAt(0).toUpperCase() + k.slice(1)]) ||
      (items && items.dataset.kOther) || kind;
  }
  function pendingText(list) {
    var order = []; var n = {};
    list.forEach(function (i) {
      if (i.state !== 'queued') return;
      if (!n[i.kind]) { n[i.kind] = 0; order.push(i.kind); }
      n[i.kind] += 1;
    });
    var kinds = order.map(function (k) { return kindName(k) + (n[k] > 1 ? ' ×' + n[k] : ''); });
    return fmt(s('Pending'), { n: queued, kinds: kinds.join(s('Sep') || ', ') });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function refusedItem(i) {
    var li = el('li', 'conflict');
    li.setAttribute('role', 'alert');
    li.dataset.id = i.id;
    var conflict = i.status === 409 || i.code === 'stale_version';
    var bare = !(i.errors && i.errors.length);
    var head = conflict ? s('Conflict') : (i.status === 403 && bare ? s('LoggedOut') : s('Refused'));
    li.appendChild(el('b', '', head));
    var when = new Date(i.at);
    var hhmm = ('0' + when.getHours()).slice(-2) + ':' + ('0' + when.getMinutes()).slice(-2);
    li.appendChild(el('p', 'what', kindName(i.kind) + ' · ' + fmt(s('SavedAt'), { t: hhmm })));
    if (i.errors && i.errors.length) li.appendChild(el('p', 'why', i.errors.join(' ')));
    var row = el('div', 'two');
    if (i.open) {
      var open = el('a', 'btn primary', i.kind.indexOf('patrol') === 0 || i.kind === 'check_in'
        ? s('OpenPatrol') : s('Open'));
      open.href = i.open;
      row.appendChild(open);
    }
    var ok = el('button', 'btn', s('Dismiss'));
    ok.type = 'button';
    ok.dataset.dismiss = i.id;
    row.appendChild(ok);
    li.appendChild(row);
    return li;
  }
  function show(d) {
    queued = d.count || 0;
    sentHere += d.sent || 0;
    if (!queued) flash = ''; // "saved on the phone" is over once nothing waits
    var list = d.items || [];
    var parts = [];
    if (queued) parts.push(pendingText(list));
    if (sentHere) parts.push(t('Sent', sentHere));
    var reload = null;
    if (stale) {
      reload = el('button', 'link reload', s('Reload'));
      reload.type = 'button';
      reload.addEventListener('click', function () { location.reload(); });
      parts.push(s('Stale'));
    }
    note(parts.join(' · '), reload);
    if (items) {
      items.textContent = '';
      list.filter(function (i) { return i.state === 'refused'; }).forEach(function (i) {
        items.appendChild(refusedItem(i));
      });
      items.hidden = !items.children.length;
    }
    if (d.sent) refresh(d);
  }

  // After sending: the page re-reads its own content (list, task, patrols), unless the officer
  // is typing in one of its forms; then it offers a reload instead.
  var dirty = false;
  document.addEventListener('input', function (e) {
    if (e.target.closest && e.target.closest('main form')) dirty = true;
  });
  document.addEventListener('change', function (e) {
    if (e.target.closest && e.target.closest('main form')) dirty = true;
  });
  function refresh(d) {
    var main = $('main[data-live]');
    if (!main) return;
    if (dirty || $('form[data-busy="1"]')) { stale = true; show(Object.assign({}, d, { sent: 0 })); return; }
    fetch(location.href, { credentials: 'same-origin', headers: { 'X-Refresh': '1' } })
      .then(function (res) { return res.ok && !res.redirected ? res.text() : null; })
      .then(function (html) {
        if (!html || dirty) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.querySelector('main');
        if (!fresh) return;
        var oldMsgs = $('.messages');
        if (oldMsgs) oldMsgs.remove();
        var msgs = doc.querySelector('.messages');
        if (msgs) main.parentNode.insertBefore(document.importNode(msgs, true), main);
        var node = document.importNode(fresh, true);
        main.parentNode.replaceChild(node, main);
        setup(node);
        if (window.htmx) window.htmx.process(node);
        B.dispatchEvent(new Event('refreshed'));
      }).catch(function () {});
  }

  // Pages to keep for offline use: the list, the report form, the bar's links and the tasks
  // this page lists (my open tasks on my list), with the static files this page loads.
  function warm() {
    if (B.hasAttribute('data-clear-pages')) return;
    var pages = [B.dataset.home, B.dataset.report];
    document.querySelectorAll('header a[href], a.task[href]').forEach(function (a) {
      pages.push(a.getAttribute('href'));
    });
    var assets = [];
    document.querySelectorAll('script[src], link[href]').forEach(function (n) {
      assets.push(n.getAttribute('src') || n.getAttribute('href'));
    });
    toWorker({ type: 'warm', pages: pages.filter(Boolean), assets: assets });
  }

  if (sw && B.dataset.sw) {
    sw.register(B.dataset.sw, { scope: B.dataset.sw.replace(/sw\.js$/, '') }).catch(function () {});
    sw.addEventListener('message', function (e) {
      var d = e.data || {};
      if (d.type === 'outbox') show(d);
    });
    var hello = function () {
      toWorker({ type: 'replay' }); // replies with what is queued (sent or not)
      warm();
    };
    if (sw.controller) hello();
    sw.addEventListener('controllerchange', hello);
    window.addEventListener('online', function () { toWorker({ type: 'replay' }); });
    var every = Math.max(1, +B.dataset.retry || 20) * 1000;
    window.setInterval(function () { if (queued) toWorker({ type: 'replay' }); }, every);
    if (items) {
      items.addEventListener('click', function (e) {
        var b = e.target.closest('button[data-dismiss]');
        if (b) toWorker({ type: 'dismiss', id: +b.dataset.dismiss });
      });
    }
  }
  note('');

  // Pages cached for offline use belong to the person logged in: drop them at the door.
  if ('caches' in window && B.hasAttribute('data-clear-pages')) caches.delete(PAGES);
  document.querySelectorAll('form[data-logout]').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      if (!('caches' in window)) return;
      e.preventDefault();
      caches.delete(PAGES).finally(function () { form.submit(); });
    });
  });

  // -- idempotency keys: one fresh key per page load and form --------------------------------
  function setup(root) {
    dirty = false; stale = false;
    root.querySelectorAll('input[data-key]').forEach(function (i) { if (!i.value) i.value = uuid(); });
  }
  setup(document);

  // -- photos: shrink in the browser, send with progress --------------------------------------
  function shrink(file) {
    if (!file.type || file.type.indexOf('image/') !== 0 || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, MAX_EDGE / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.type === 'image/jpeg' && file.size < 1500000) return file;
      var c = document.createElement('canvas');
      c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
      c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
      if (bmp.close) bmp.close();
      return new Promise(function (resolve) {
        c.toBlob(function (blob) {
          resolve(blob ? new File([blob], 'photo.jpg', { type: 'image/jpeg' }) : file);
        }, 'image/jpeg', 0.82);
      });
    }).catch(function () { return file; }); // the server checks whatever arrives
  }

  function prepare(form, submitter) {
    var fd = new FormData(form);
    if (submitter && submitter.name) fd.append(submitter.name, submitter.value);
    var out = new FormData();
    var jobs = [];
    fd.forEach(function (v, k) {
      if (v instanceof File) {
        if (v.size && v.name) jobs.push(shrink(v).then(function (f) { return [k, f]; }));
      } else {
        jobs.push(Promise.resolve([k, v]));
      }
    });
    return Promise.all(jobs).then(function (pairs) {
      pairs.forEach(function (p) {
        if (p[1] instanceof File) out.append(p[0], p[1], p[1].name); else out.append(p[0], p[1]);
      });
      return out;
    });
  }

  function showErrors(form, errors) {
    var box = $('.errors', form);
    if (!box) { window.alert(errors.join('\n')); return; }
    box.textContent = '';
    errors.forEach(function (e, i) {
      if (i) box.appendChild(document.createElement('br'));
      box.appendChild(document.createTextNode(e));
    });
    box.hidden = false;
    box.scrollIntoView({ block: 'center' });
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute('data-upload') || !window.FormData) return;
    e.preventDefault();
    if (form.dataset.busy) return;
    var buttons = form.querySelectorAll('button');
    var bar = $('progress', form);
    var submitBtn = e.submitter || $('button[type=submit]', form);
    var label = submitBtn ? submitBtn.textContent : '';
    function busy(on, text) {
      form.dataset.busy = on ? '1' : '';
      buttons.forEach(function (b) { b.disabled = on; });
      if (submitBtn) submitBtn.textContent = on ? text : label;
      if (bar) { bar.hidden = !on; bar.value = 0; }
    }
    busy(true, t('Shrinking'));
    prepare(form, e.submitter).then(function (fd) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action || location.href);
      xhr.setRequestHeader('X-Upload', '1');
      xhr.upload.onprogress = function (ev) {
        if (!ev.lengthComputable) return;
        var p = Math.round(ev.loaded * 100 / ev.total);
        if (bar) bar.value = p;
        if (submitBtn) submitBtn.textContent = t('Sending', p + '%');
      };
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = null; }
        if (data && data.queued) {
          sessionStorage.setItem('gt-flash', t('Queued'));
          location.assign(B.dataset.home || '/m/');
        } else if (data && data.location) {
          location.assign(data.location);
        } else if (data && data.errors) {
          busy(false); showErrors(form, data.errors);
        } else if (xhr.status === 403) {
          busy(false); showErrors(form, [t('Forbidden')]);
        } else if (xhr.responseURL && xhr.responseURL.indexOf(form.action) !== 0) {
          location.assign(xhr.responseURL); // e.g. sent to the login page
        } else {
          busy(false); showErrors(form, [t('Neterr')]);
        }
      };
      xhr.onerror = function () { busy(false); showErrors(form, [t('Neterr')]); };
      xhr.send(fd);
    });
  });

  // -- report page: position from GPS or a tap on the map ------------------------------------
  var report = $('#report');
  if (!report) return;
  var map = $('#map');
  var pin = $('#pin');
  var fixed = $('#fixed');
  var after = $('#after');
  function setPos(lng, lat) {
    report.elements.lng.value = lng.toFixed(6);
    report.elements.lat.value = lat.toFixed(6);
    $('#coords').textContent = lng.toFixed(6) + ', ' + lat.toFixed(6);
    if (map && pin) {
      pin.setAttribute('cx', ((lng - map.dataset.minlng) * map.dataset.kx).toFixed(1));
      pin.setAttribute('cy', ((map.dataset.maxlat - lat) * map.dataset.ky).toFixed(1));
    }
    B.dispatchEvent(new Event('located'));
  }
  if (map) {
    map.addEventListener('click', function (e) {
      var pt = map.createSVGPoint();
      pt.x = e.clientX; pt.y = e.clientY;
      var p = pt.matrixTransform(map.getScreenCTM().inverse());
      setPos(+map.dataset.minlng + p.x / map.dataset.kx, map.dataset.maxlat - p.y / map.dataset.ky);
    });
  }
  $('#gps').addEventListener('click', function () {
    var hint = $('#coords');
    if (!navigator.geolocation) { hint.textContent = report.dataset.tNogps; return; }
    hint.textContent = report.dataset.tGps;
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPos(pos.coords.longitude, pos.coords.latitude);
    }, function () { hint.textContent = report.dataset.tNogps; },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
  function toggleAfter() {
    after.hidden = !fixed.checked;
    after.querySelector('input').required = fixed.checked;
  }
  fixed.addEventListener('change', toggleAfter);
  toggleAfter();
  window.addEventListener('load', function () {
    // A form sent back with errors keeps its position: show it again once htmx listens.
    if (report.elements.lng.value && report.elements.lat.value) {
      setPos(+report.elements.lng.value, +report.elements.lat.value);
    }
  });
})();
