/* The running patrol: GPS positions from watchPosition, sent as check-ins at the interval the page
   names (sooner after moving some metres, never more often), each with its own idempotency key.
   Offline, the service worker queues the post (the phone's outbox) and replays it later; a post
   that fails before the worker controls the page is kept here and sent with the next one. */
(function () {
  'use strict';
  var box = document.getElementById('patrol');
  if (!box || !box.hasAttribute('data-running') || !navigator.geolocation) {
    if (box && box.hasAttribute('data-running')) state(box.dataset.tNogps, 'bad');
    return;
  }
  var url = box.dataset.checkIn;
  var every = Math.max(1, +box.dataset.interval || 15) * 1000;
  var MIN_MOVE_M = 10;
  var MAX_ACCURACY_M = 100;
  var token = box.querySelector('input[name=csrfmiddlewaretoken]').value;
  var last = null; // the last position sent: {lng, lat, t}
  var pending = []; // posts that failed before the service worker could queue them
  var sending = false;

  function state(text, kind) {
    var el = document.getElementById('gps-state');
    if (!el) return;
    el.textContent = text;
    el.className = 'note' + (kind ? ' ' + kind : '');
  }
  function key() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  function metres(a, b) {
    var r = Math.PI / 180, R = 6371008.8;
    var dp = (b.lat - a.lat) * r, dl = (b.lng - a.lng) * r;
    var h = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function show(d) {
    if (d.distance_m !== undefined) document.getElementById('distance').textContent = d.distance_m;
    if (d.check_ins !== undefined) document.getElementById('check-ins').textContent = d.check_ins;
    if (d.places && d.places.length) document.getElementById('places').textContent = d.places.join('、');
  }
  function post(item) {
    var fd = new FormData();
    Object.keys(item).forEach(function (k) { fd.append(k, item[k]); });
    fd.append('csrfmiddlewaretoken', token);
    return fetch(url, {method: 'POST', body: fd, credentials: 'same-origin',
                       headers: {'X-Upload': '1', 'X-CSRFToken': token}})
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (d) {
          if (d.queued) { state(box.dataset.tQueued, ''); return; }
          if (!res.ok) {
            state(box.dataset.tRefused + ': ' + (d.errors || [res.status]).join(' '), 'bad');
            return;
          }
          show(d);
          state(box.dataset.tSent + ' · ' + new Date().toLocaleTimeString(), 'ok');
        });
      });
  }
  function flush() {
    if (sending || !pending.length) return;
    sending = true;
    var item = pending[0];
    post(item).then(function () {
      pending.shift(); sending = false; flush();
    }, function () {
      sending = false; state(box.dataset.tQueued, ''); // still offline: the next point retries
    });
  }
  function onPosition(pos) {
    var c = pos.coords;
    var here = {lng: c.longitude, lat: c.latitude, t: Date.now()};
    if (c.accuracy > MAX_ACCURACY_M) { state(box.dataset.tWaiting + ' (±' + Math.round(c.accuracy) + ' m)', ''); return; }
    if (last) {
      var gap = here.t - last.t;
      var moved = metres(last, here);
      if (gap < every && (moved < MIN_MOVE_M || gap < every / 3)) return;
      if (gap < every * 4 && moved < MIN_MOVE_M) return; // standing still: a point a minute or so
    }
    last = here;
    pending.push({key: key(), lng: c.longitude.toFixed(7), lat: c.latitude.toFixed(7),
                  accuracy: Math.round(c.accuracy || 0), at: new Date(pos.timestamp || here.t).toISOString()});
    flush();
  }
  state(box.dataset.tWaiting, '');
  navigator.geolocation.watchPosition(onPosition, function () { state(box.dataset.tNogps, 'bad'); },
                                      {enableHighAccuracy: true, maximumAge: 5000, timeout: 60000});
  window.addEventListener('online', flush);
})();
