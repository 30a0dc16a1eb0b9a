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
  function note(text) {
    var box = $('#outbox');
    if (!box) return;
    box.textContent = [flash, text].filter(Boolean).join(' · ');
    box.hidden = !box.textContent;
  }

  // -- service worker and the offline queue ---------------------------------------------------
  var sw = navigator.serviceWorker;
  function toWorker(msg) {
    if (sw && sw.controller) sw.controller.postMessage(msg);
  }
  if (sw && B.dataset.sw) {
    sw.register(B.dataset.sw, { scope: B.dataset.sw.replace(/sw\.js$/, '') }).catch(function () {});
    sw.addEventListener('message', function (e) {
      var d = e.data || {};
      if (d.type !== 'outbox') return;
      var parts = [];
      if (d.count) parts.push(t('Outbox', d.count));
      if (d.sent) parts.push(t('Sent', d.sent));
      if (d.failed) parts.push(t('Failed', d.failed));
      if (parts.length) note(parts.join(' · '));
    });
    window.addEventListener('online', function () { toWorker({ type: 'replay' }); });
    toWorker(navigator.onLine ? { type: 'replay' } : { type: 'count' });
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
  document.querySelectorAll('input[data-key]').forEach(function (i) { if (!i.value) i.value = uuid(); });

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
