/* skimscan in-page instrumentation (STAGE 1, capture). Injected by skimscan/capture/instrument.py
 * as an init script: it runs before any page code in every frame's main world.
 *
 * What it does, each time with the caller's stack (reported through a console message whose
 * DevTools stack trace names the calling script):
 *  - reads of card-field values (value getters, FormData, form.elements), listeners and on…
 *    handlers on card fields, forms, buttons, document and window, form.action rewrites,
 *    injected scripts/iframes/forms/inputs, network and messaging sinks (fetch, XHR, beacon,
 *    WebSocket and its frames, image/script/iframe src, postMessage and messages received,
 *    window.open, form submission, EventSource), storage writes (localStorage, sessionStorage,
 *    cookies), environment checks (navigator.webdriver, geolocation);
 *  - in-page quarantine once armed (an event of a secret type dispatched from an isolated world):
 *    WebSocket frames to untrusted hosts are swallowed and new sockets to them are accepted
 *    locally and never opened (HTTP is quarantined by the network route, not here);
 *  - when detonating a file (config `synth`), a missing element the page's code asks for by id,
 *    name or a simple selector, whose name looks like a card, billing or pay-button field, is
 *    created on the spot (an input in the card form, prefilled with the canary; a submit button
 *    that receives the presses of the page's own pay button), and a missing payment form's
 *    name answers with the page's card form; each reported as `synth`, so code aimed at
 *    another platform's checkout still runs;
 *  - looks like an ordinary desktop browser: WebGL is not SwiftShader, the window has browser
 *    chrome, console calls never hand objects to DevTools (no serialisation side effects).
 *
 * Invariants: no globals (one closure, natives captured before page code); every wrapper is a
 * Proxy of the native function, and Function.prototype.toString shows the native source; a
 * failure in our own code never changes what the page sees (calls go through unchanged).
 */
(function (C) {
  'use strict';
  var W = window;
  var R = W.Reflect, O = W.Object;
  var apply = R.apply, construct = R.construct, defineProperty = O.defineProperty;
  var getDesc = O.getOwnPropertyDescriptor, setProto = O.setPrototypeOf;
  var ProxyC = W.Proxy, WeakMapC = W.WeakMap, WeakSetC = W.WeakSet, MapC = W.Map;
  var wmGet = WeakMapC.prototype.get, wmSet = WeakMapC.prototype.set, wmHas = WeakMapC.prototype.has;
  var wsAdd = WeakSetC.prototype.add, wsHas = WeakSetC.prototype.has;
  var mapGet = MapC.prototype.get, mapSet = MapC.prototype.set;
  var StringC = W.String, JSONs = W.JSON.stringify, URLC = W.URL;
  var strSlice = StringC.prototype.slice, strLower = StringC.prototype.toLowerCase;
  var strReplace = StringC.prototype.replace, strIndexOf = StringC.prototype.indexOf;
  var strSplit = StringC.prototype.split;
  var reTest = W.RegExp.prototype.test, isArray = W.Array.isArray;
  var con = W.console, dbg = con.debug, setTimeoutN = W.setTimeout;
  var EventC = W.Event, CloseEventC = W.CloseEvent, EventTargetC = W.EventTarget;
  var nativeAdd = EventTargetC.prototype.addEventListener;
  var nativeDispatch = EventTargetC.prototype.dispatchEvent;
  var stopNow = EventC.prototype.stopImmediatePropagation;
  var getAttr = W.Element.prototype.getAttribute;
  var tagName = getDesc(W.Element.prototype, 'tagName').get;
  var elementsGet = getDesc(W.HTMLFormElement.prototype, 'elements').get;
  var actionGet = getDesc(W.HTMLFormElement.prototype, 'action').get;
  var textGet = getDesc(W.Node.prototype, 'textContent').get;
  var originGet = getDesc(W.MessageEvent.prototype, 'origin').get;
  var HTMLElementC = W.HTMLElement, HTMLFormC = W.HTMLFormElement;
  var loc = W.location, doc = W.document;
  var createN = W.Document.prototype.createElement, appendN = W.Node.prototype.appendChild;
  var byIdN = W.Document.prototype.getElementById, byNameN = W.Document.prototype.getElementsByName;
  var setAttrN = W.Element.prototype.setAttribute;

  var NONCE = C.nonce;
  var originals = new WeakMapC();
  var ANSWER = {};  // marks a hook's answer (returned to the page instead of the native result)
  var sent = 0, perKey = new MapC();
  var armed = false;

  function call(fn, self, args) { return apply(fn, self, args || []); }
  function mget(m, k) { return call(wmGet, m, [k]); }
  function mhas(m, k) { return call(wmHas, m, [k]); }
  function mset(m, k, v) { call(wmSet, m, [k, v]); }
  function lower(s) { return call(strLower, StringC(s), []); }
  function cut(s, n) { s = StringC(s); return s.length > n ? call(strSlice, s, [0, n]) : s; }
  function test(re, s) { re.lastIndex = 0; return call(reTest, re, [s]); }
  function is(obj, C2) { try { return obj instanceof C2; } catch (e) { return false; } }

  function send(kind, detail, data) {
    if (sent >= C.maxEvents) return;
    var key = kind + '|' + (detail.field || detail.sink || detail.event || detail.tag || detail.store || detail.check || '');
    var n = call(mapGet, perKey, [key]) || 0;
    if (n >= C.maxPerKey) return;
    call(mapSet, perKey, [key, n + 1]);
    sent++;
    var msg = { k: kind, d: detail };
    if (data !== undefined && data !== null) msg.x = cut(data, C.maxData);
    try { call(dbg, con, [NONCE + JSONs(msg)]); } catch (e) { /* never disturb the page */ }
  }

  // ------------------------------------------------------------------ native-looking wrappers
  function hide(proxy, original) {  // a wrapper of a wrapper shows the native source too
    mset(originals, proxy, mhas(originals, original) ? mget(originals, original) : original);
    return proxy;
  }
  function wrapFn(fn, hook) {
    return hide(new ProxyC(fn, {
      apply: function (t, self, args) {
        var r;
        try { r = hook(self, args, t); } catch (e) { r = undefined; }
        if (r && r.tag === ANSWER) return r.value;
        return apply(t, self, args);
      }
    }), fn);
  }
  function wrapCtor(fn, hook) {
    return hide(new ProxyC(fn, {
      construct: function (t, args, nt) {
        var r;
        try { r = hook(args, t, nt); } catch (e) { r = undefined; }
        if (r && r.tag === ANSWER) return r.value;
        return construct(t, args, nt);
      }
    }), fn);
  }
  function method(obj, name, hook) {
    var d = obj && getDesc(obj, name);
    if (!d || typeof d.value !== 'function') return;
    d.value = wrapFn(d.value, hook);
    defineProperty(obj, name, d);
  }
  function ctor(obj, name, hook) {
    var d = obj && getDesc(obj, name);
    if (!d || typeof d.value !== 'function') return;
    d.value = wrapCtor(d.value, hook);
    defineProperty(obj, name, d);
  }
  function accessor(obj, name, onGet, onSet) {
    var d = obj && getDesc(obj, name);
    if (!d) return;
    if (onGet && d.get) {
      var g = d.get;
      d.get = hide(new ProxyC(g, {
        apply: function (t, self, args) {
          var v = apply(t, self, args);
          try { var r = onGet(self, v); if (r && r.tag === ANSWER) return r.value; } catch (e) { }
          return v;
        }
      }), g);
    }
    if (onSet && d.set) {
      var s = d.set;
      d.set = hide(new ProxyC(s, {
        apply: function (t, self, args) {
          try { onSet(self, args[0]); } catch (e) { }
          return apply(t, self, args);
        }
      }), s);
    }
    defineProperty(obj, name, d);
  }
  function answer(value) { return { tag: ANSWER, value: value }; }
  method(W.Function.prototype, 'toString', function (self, args, t) {
    if (mhas(originals, self)) return answer(apply(t, mget(originals, self), args));
  });

  // ------------------------------------------------------------------ what is a card field
  var PAN = /cc-number|card.?num|cardnumber|cc.?num|ccnum|card.?no\b|kartennummer|num[eé]ro.?de.?(la.?)?(tarjeta|carte)|numero.?(della.?)?carta|x_card_num|\bpan\b/;
  var CVV = /cc-csc|cvv|cvc|\bcsc\b|\bcid\b|cc_cid|security.?code|card.?code|\bcvn\b|cryptogramme|pr[uü]fnummer|codigo.?de.?seguridad/;
  var EXP = /cc-exp|expir|exp.?date|exp.?month|exp.?year|\bexp\b|cc_exp|ablauf|vencimiento|scadenza|validade/;
  var HOLDER = /cc-name|card.?holder|name.?on.?card|cc.?name|holder.?name|karteninhaber|titulaire|titular/;
  var kinds = new WeakMapC();
  function tag(el) { try { return call(tagName, el); } catch (e) { return ''; } }
  function describe(el) {
    var id = call(getAttr, el, ['id']), name = call(getAttr, el, ['name']);
    if (id) return '#' + cut(id, 60);
    if (name) return '[name="' + cut(name, 60) + '"]';
    return lower(tag(el));
  }
  function digits(s) { return call(strReplace, StringC(s), [/\D/g, '']); }
  function fieldKind(el, value) {
    if (mhas(kinds, el)) return mget(kinds, el);
    var t = tag(el);
    if (t !== 'INPUT' && t !== 'SELECT' && t !== 'TEXTAREA') return '';
    var text = lower([call(getAttr, el, ['autocomplete']), call(getAttr, el, ['name']),
      call(getAttr, el, ['id']), call(getAttr, el, ['placeholder']),
      call(getAttr, el, ['aria-label']), call(getAttr, el, ['data-elements-stable-field-name'])].join(' '));
    var kind = test(PAN, text) ? 'pan' : test(CVV, text) ? 'cvv' : test(EXP, text) ? 'expiry'
      : test(HOLDER, text) ? 'holder' : '';
    if (!kind && value && digits(value) === C.pan) kind = 'pan';
    if (kind || value) mset(kinds, el, kind);  // unknown fields are looked at again once filled
    return kind;
  }
  // A card field among a form's elements: of `kind` ('pan'), or of any kind without one.
  function formHasCard(form, kind) {
    try {
      var els = call(elementsGet, form);
      for (var i = 0; i < els.length && i < 200; i++) {
        var k = fieldKind(els[i], '');
        if (kind ? k === kind : k) return true;
      }
    } catch (e) { }
    return false;
  }
  function isButton(el) {
    var t = tag(el);
    if (t === 'BUTTON') return true;
    if (t !== 'INPUT') return false;
    var type = lower(call(getAttr, el, ['type']) || '');
    return type === 'submit' || type === 'button' || type === 'image';
  }
  function targetOf(target) {
    if (target === W) return { target: 'window' };
    if (target === doc) return { target: 'document' };
    if (!is(target, HTMLElementC)) return null;
    var t = tag(target);
    if (t === 'BODY' || t === 'HTML') return { target: 'document' };
    var kind = fieldKind(target, '');
    if (kind) return { target: 'card-field', field: describe(target), role: kind };
    if (t === 'FORM') return formHasCard(target) ? { target: 'form', field: describe(target) } : null;
    if (isButton(target)) {
      var label = t === 'INPUT' ? call(getAttr, target, ['value']) : call(textGet, target);
      return { target: 'button', field: describe(target), label: cut(StringC(label || '').trim(), 40) };
    }
    return null;
  }

  // ------------------------------------------------------------------ reads
  function onRead() {
    return function (self, v) {
      if (v && typeof v === 'string') {
        var kind = fieldKind(self, v);
        if (kind) send('read', { field: describe(self), role: kind, via: 'value' });
      }
    };
  }
  accessor(W.HTMLInputElement.prototype, 'value', onRead());
  accessor(W.HTMLSelectElement.prototype, 'value', onRead());
  accessor(W.HTMLTextAreaElement.prototype, 'value', onRead());
  accessor(W.HTMLFormElement.prototype, 'elements', function (self) {
    if (formHasCard(self)) send('read', { field: describe(self), role: 'form', via: 'elements' });
  });
  ctor(W, 'FormData', function (args) {
    if (args[0] && is(args[0], HTMLFormC) && formHasCard(args[0])) {
      send('read', { field: describe(args[0]), role: 'form', via: 'FormData' });
    }
  });

  // ------------------------------------------------------------------ listeners and handlers
  var WATCHED = /^(input|change|keydown|keyup|keypress|blur|focusout|paste|submit|click|mouseup|mousedown|touchend|touchstart|pointerup)$/;
  method(EventTargetC.prototype, 'addEventListener', function (self, args) {
    var type = lower(args[0]);
    if (!test(WATCHED, type)) return;
    var t = targetOf(self);
    if (t) { t.event = type; send('listen', t); }
  });
  var HANDLERS = ['onclick', 'onmouseup', 'onmousedown', 'ontouchend', 'onsubmit', 'onchange',
    'oninput', 'onkeyup', 'onkeydown', 'onkeypress', 'onblur', 'onpaste'];
  function onHandler(name) {
    return function (self, value) {
      if (typeof value !== 'function') return;
      var t = targetOf(self);
      if (t) { t.event = call(strSlice, name, [2]); send('handler', t); }
    };
  }
  for (var h = 0; h < HANDLERS.length; h++) {
    accessor(HTMLElementC.prototype, HANDLERS[h], null, onHandler(HANDLERS[h]));
    accessor(W.Document.prototype, HANDLERS[h], null, onHandler(HANDLERS[h]));
  }

  // ------------------------------------------------------------------ forms and injection
  function absolute(url) {
    try { return StringC(new URLC(StringC(url), loc.href)); } catch (e) { return cut(url, 300); }
  }
  function hostOf(url) {
    try { return lower(new URLC(StringC(url), loc.href).hostname); } catch (e) { return ''; }
  }
  // Resource hints: Chromium resolves none of their names (the egress proxy decides every
  // connection), so a name built from card data is seen here or nowhere.
  var HINTS = { 'dns-prefetch': 1, 'preconnect': 1, 'prefetch': 1, 'preload': 1,
                'modulepreload': 1, 'prerender': 1 };
  try {
    new W.MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        var added = records[i].addedNodes;
        for (var j = 0; j < added.length; j++) {
          var node = added[j];
          if (tag(node) !== 'LINK') continue;
          var rel = lower(call(getAttr, node, ['rel']) || ''), href = call(getAttr, node, ['href']);
          if (href && HINTS[rel] === 1) {
            send('sink', { sink: 'link-hint', rel: rel, url: cut(absolute(href), 2000) });
          }
        }
      }
    }).observe(doc, { childList: true, subtree: true });
  } catch (e) { /* never disturb the page */ }
  accessor(HTMLFormC.prototype, 'action', null, function (self, value) {
    send('form-action', { url: cut(absolute(value), 500), field: describe(self),
      card: formHasCard(self, 'pan') ? '1' : '' });
  });
  method(HTMLFormC.prototype, 'submit', function (self) {
    send('sink', { sink: 'form-submit', url: cut(call(actionGet, self), 500), field: describe(self) });
  });
  method(HTMLFormC.prototype, 'requestSubmit', function (self) {
    send('sink', { sink: 'form-submit', url: cut(call(actionGet, self), 500), field: describe(self) });
  });
  var INJECT = /^(script|iframe|form|input)$/;
  method(W.Document.prototype, 'createElement', function (self, args) {
    var t = lower(args[0]);
    if (test(INJECT, t)) send('inject', { tag: t, via: 'createElement' });
  });
  var MARKUP = /<(script|iframe|form|input)\b/i;
  function onMarkup(via) {
    return function (self, value) {
      var m = typeof value === 'string' ? MARKUP.exec(value) : null;
      if (m) send('inject', { tag: lower(m[1]), via: via });
    };
  }
  accessor(W.Element.prototype, 'innerHTML', null, onMarkup('innerHTML'));
  accessor(W.Element.prototype, 'outerHTML', null, onMarkup('outerHTML'));
  method(W.Element.prototype, 'insertAdjacentHTML', function (self, args) {
    onMarkup('insertAdjacentHTML')(self, args[1]);
  });
  method(W.Document.prototype, 'write', function (self, args) {
    onMarkup('document.write')(self, args.join(''));
  });
  // A card-number field that script puts into the document (a form injected, revealed from a
  // template, or laid over the real one): reported once per field, from inside the inserting
  // call, so the stack names the script (or the library it went through). Fields the parser
  // made from the page's HTML never pass through here.
  var inserted = new WeakSetC();
  var ElementC = W.Element, FragmentC = W.DocumentFragment;
  var qsaE = ElementC.prototype.querySelectorAll, qsaF = FragmentC.prototype.querySelectorAll;
  var qsaD = W.Document.prototype.querySelectorAll;
  var connected = getDesc(W.Node.prototype, 'isConnected').get;
  var parentGet = getDesc(W.Node.prototype, 'parentNode').get;
  function panFields(node) {
    var out = [], list = null;
    if (!node || typeof node !== 'object') return out;
    if (tag(node) === 'INPUT') list = [node];
    else if (is(node, ElementC)) list = call(qsaE, node, ['input']);
    else if (is(node, FragmentC)) list = call(qsaF, node, ['input']);
    else if (node === doc) list = call(qsaD, node, ['input']);
    for (var i = 0; list && i < list.length && i < 200; i++) {
      if (!call(wsHas, inserted, [list[i]]) && fieldKind(list[i], '') === 'pan') out.push(list[i]);
    }
    return out;
  }
  function reportInserted(fields, via, before) {
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (call(wsHas, inserted, [f]) || !call(connected, f)) continue;
      if (before && before.indexOf(f) >= 0) continue;  // already there: not this call's
      call(wsAdd, inserted, [f]);
      send('card-form', { field: describe(f), role: 'pan', via: via });
    }
  }
  function after(fn, hook) {  // hook(self, args) -> a function run after the native call
    return hide(new ProxyC(fn, {
      apply: function (t, self, args) {
        var then = null;
        try { then = hook(self, args); } catch (e) { then = null; }
        var r = apply(t, self, args);  // a native error goes to the page unchanged
        try { if (then) then(); } catch (e) { }
        return r;
      }
    }), fn);
  }
  function around(obj, name, hook) {
    var d = obj && getDesc(obj, name);
    if (!d || typeof d.value !== 'function') return;
    d.value = after(d.value, hook);
    defineProperty(obj, name, d);
  }
  function nodesIn(via, pick) {  // for appendChild & co: the nodes handed in are new content
    return function (self, args) {
      var fields = [], nodes = pick(args);
      for (var i = 0; i < nodes.length; i++) fields = fields.concat(panFields(nodes[i]));
      return fields.length ? function () { reportInserted(fields, via, null); } : null;
    };
  }
  function first(args) { return [args[0]]; }
  function all(args) { return args; }
  around(W.Node.prototype, 'appendChild', nodesIn('appendChild', first));
  around(W.Node.prototype, 'insertBefore', nodesIn('insertBefore', first));
  around(W.Node.prototype, 'replaceChild', nodesIn('replaceChild', first));
  ['append', 'prepend', 'after', 'before', 'replaceWith'].forEach(function (name) {
    around(ElementC.prototype, name, nodesIn(name, all));
  });
  around(ElementC.prototype, 'insertAdjacentElement', nodesIn('insertAdjacentElement',
    function (args) { return [args[1]]; }));
  function markupIn(via, scope) {  // for HTML strings: new fields in the scope afterwards
    return function (self, value) {
      if (typeof value !== 'string' || !test(/<input\b/i, value)) return null;
      var where = scope(self);
      if (!where) return null;
      var before = panFields(where);
      return function () { reportInserted(panFields(where), via, before); };
    };
  }
  function setterAround(obj, name, hook) {  // hook(self, value)
    var d = obj && getDesc(obj, name);
    if (!d || !d.set) return;
    d.set = after(d.set, function (self, args) { return hook(self, args[0]); });
    defineProperty(obj, name, d);
  }
  function itself(self) { return self; }
  function parentOf(self) { return call(parentGet, self); }
  setterAround(ElementC.prototype, 'innerHTML', markupIn('innerHTML', itself));
  setterAround(ElementC.prototype, 'outerHTML', markupIn('outerHTML', parentOf));
  around(ElementC.prototype, 'insertAdjacentHTML', function (self, args) {
    return markupIn('insertAdjacentHTML', function (el) { return parentOf(el) || el; })(
      self, args[1]);
  });
  var arrJoin = W.Array.prototype.join;
  around(W.Document.prototype, 'write', function (self, args) {
    return markupIn('document.write', itself)(self, call(arrJoin, args, ['']));
  });
  accessor(W.HTMLScriptElement.prototype, 'src', null, function (self, value) {
    send('inject', { tag: 'script', via: 'src', url: cut(absolute(value), 500) });
  });
  accessor(W.HTMLIFrameElement.prototype, 'src', null, function (self, value) {
    send('inject', { tag: 'iframe', via: 'src', url: cut(absolute(value), 500) });
  });
  function imageSink(self, value) {
    var url = absolute(value);
    if (hostOf(url) !== lower(loc.hostname) || url.length > 120) {
      send('sink', { sink: 'image', url: cut(url, 2000) });
    }
  }
  accessor(W.HTMLImageElement.prototype, 'src', null, imageSink);
  method(W.Element.prototype, 'setAttribute', function (self, args) {
    var name = lower(args[0]), t = tag(self);
    if (name === 'src' && t === 'IMG') imageSink(self, args[1]);
    else if (name === 'src' && (t === 'SCRIPT' || t === 'IFRAME')) {
      send('inject', { tag: lower(t), via: 'setAttribute', url: cut(absolute(args[1]), 500) });
    } else if (name === 'action' && t === 'FORM') {
      send('form-action', { url: cut(absolute(args[1]), 500), field: describe(self),
        card: formHasCard(self, 'pan') ? '1' : '' });
    } else if (call(strIndexOf, name, ['on']) === 0 && targetOf(self)) {
      var d = targetOf(self); d.event = call(strSlice, name, [2]); d.via = 'attribute';
      send('handler', d);
    }
  });

  // ------------------------------------------------------------------ network and messaging
  function bodyText(body) {
    if (body === undefined || body === null) return null;
    if (typeof body === 'string') return body;
    try { if (is(body, W.URLSearchParams)) return StringC(body); } catch (e) { }
    return null;
  }
  method(W, 'fetch', function (self, args) {
    var input = args[0], init = args[1] || {};
    var url = input && typeof input === 'object' && 'url' in input ? input.url : input;
    send('sink', { sink: 'fetch', url: cut(absolute(url), 2000), method: StringC(init.method || 'GET') });
  });
  var xhrUrls = new WeakMapC();
  method(W.XMLHttpRequest.prototype, 'open', function (self, args) {
    mset(xhrUrls, self, [StringC(args[0]), absolute(args[1])]);
  });
  method(W.XMLHttpRequest.prototype, 'send', function (self, args) {
    var u = mget(xhrUrls, self) || ['GET', ''];
    send('sink', { sink: 'xhr', url: cut(u[1], 2000), method: u[0] });
  });
  method(W.Navigator.prototype, 'sendBeacon', function (self, args) {
    send('sink', { sink: 'beacon', url: cut(absolute(args[0]), 2000) }, bodyText(args[1]));
  });
  method(W, 'open', function (self, args) {
    if (args[0]) send('sink', { sink: 'open', url: cut(absolute(args[0]), 2000) });
  });
  ctor(W, 'EventSource', function (args) {
    send('sink', { sink: 'eventsource', url: cut(absolute(args[0]), 2000) });
  });
  // ------------------------------------------------------------------ WebRTC
  // A connection's ICE servers are names the browser resolves (a DNS query: a name can carry
  // data), and its data channels send to a peer that no request shows. Each server named and
  // each message sent is recorded as a send. A data channel never connects here (there is no
  // peer): it is told it opened, so that a kit waiting for that sends what it queued.
  var ICE = /^(stuns?|turns?):(?:\/\/)?(.*)$/i, channelPeers = new WeakMapC();
  function iceUrl(u) {  // `stun:host:3478`, `turn:host?transport=tcp` → a URL with a host
    var m = ICE.exec(StringC(u));
    return m ? lower(m[1]) + '://' + m[2] : StringC(u);
  }
  function iceUrls(config) {  // the servers a configuration names, as URLs
    var servers = config && config.iceServers, out = [];
    if (!isArray(servers)) return out;
    for (var i = 0; i < servers.length && i < 32; i++) {
      var urls = servers[i] && (servers[i].urls || servers[i].url);
      var list = isArray(urls) ? urls : [urls];
      for (var j = 0; j < list.length && j < 8; j++) {
        if (typeof list[j] === 'string') out[out.length] = cut(iceUrl(list[j]), 2000);
      }
    }
    return out;
  }
  var PCC = W.RTCPeerConnection;
  if (PCC) {
    var getConfigN = PCC.prototype.getConfiguration, legacyPC = W.webkitRTCPeerConnection === PCC;
    ctor(W, 'RTCPeerConnection', function (args) {
      var urls = iceUrls(args[0]);
      for (var i = 0; i < urls.length; i++) send('sink', { sink: 'webrtc', url: urls[i] });
    });
    if (legacyPC) {  // the prefixed name is the same constructor in Chrome: so it stays
      try { defineProperty(W, 'webkitRTCPeerConnection', getDesc(W, 'RTCPeerConnection')); } catch (e) { }
    }
    method(PCC.prototype, 'createDataChannel', function (self, args, t) {
      var channel = apply(t, self, args);
      try { mset(channelPeers, channel, iceUrls(call(getConfigN, self))[0] || ''); } catch (e) { }
      // Detonation only: the channel never connects there (no peer); told it opened, a kit
      // sends what it queued for it (on a scanned page, channels stay as the browser made them)
      if (C.synth) {
        call(setTimeoutN, W, [function () {
          try {
            if (channel && channel.readyState !== 'open') call(nativeDispatch, channel, [new EventC('open')]);
          } catch (e) { }
        }, 50]);
      }
      return answer(channel);
    });
  }
  if (W.RTCDataChannel) {
    method(W.RTCDataChannel.prototype, 'send', function (self, args) {
      send('sink', { sink: 'webrtc-data', url: mget(channelPeers, self) || 'webrtc://peer' },
        bytesText(args[0]) || serialise(args[0]));
    });
  }
  // ------------------------------------------------------------------ encryption
  // A kit that encrypts the card before sending defeats any search of what it sends; the
  // plaintext is recorded where it is encrypted (WebCrypto, CryptoJS, JSEncrypt).
  var TextDecoderC = W.TextDecoder, decodeN = TextDecoderC && TextDecoderC.prototype.decode;
  var ArrayBufferC = W.ArrayBuffer, isView = ArrayBufferC && ArrayBufferC.isView;
  function bytesText(data) {
    try {
      if (typeof data === 'string') return data;
      if (is(data, ArrayBufferC) || call(isView, ArrayBufferC, [data])) {
        return call(decodeN, new TextDecoderC('utf-8'), [data]);
      }
    } catch (e) { /* not bytes we can read */ }
    return null;
  }
  function encrypted(cipher, plaintext) {
    if (plaintext) send('sink', { sink: 'encrypt', cipher: cut(cipher, 40) }, plaintext);
  }
  if (W.SubtleCrypto) {
    method(W.SubtleCrypto.prototype, 'encrypt', function (self, args) {
      var alg = args[0];
      var name = typeof alg === 'string' ? alg : (alg && typeof alg.name === 'string' ? alg.name : '');
      encrypted('WebCrypto ' + name, bytesText(args[2]));
    });
  }
  // Libraries kits paste in: wrapped when the page assigns the global (`var CryptoJS = …`,
  // `root.JSEncrypt = …`); reading the global before that still gives undefined.
  function trapGlobal(name, wrap) {
    var value, done = false;
    try {
      defineProperty(W, name, { configurable: true, enumerable: false,
        get: function () { return value; },
        set: function (v) {
          value = v;
          if (!done && v) { try { done = wrap(v) !== false; } catch (e) { /* leave it */ } }
        } });
    } catch (e) { /* the page defined it first */ }
  }
  trapGlobal('CryptoJS', function (lib) {
    // every cipher of CryptoJS turns a string message into words with enc.Utf8.parse
    var utf8 = lib.enc && lib.enc.Utf8;
    if (!utf8 || typeof utf8.parse !== 'function') return false;
    utf8.parse = wrapFn(utf8.parse, function (self, args) {
      if (typeof args[0] === 'string' && args[0].length >= 12) encrypted('CryptoJS', args[0]);
    });
  });
  trapGlobal('JSEncrypt', function (cls) {
    var proto = cls.prototype;
    if (!proto || typeof proto.encrypt !== 'function') return false;
    proto.encrypt = wrapFn(proto.encrypt, function (self, args) {
      if (typeof args[0] === 'string') encrypted('JSEncrypt (RSA)', args[0]);
    });
  });

  function serialise(data) {
    if (typeof data === 'string') return data;
    try { return JSONs(data); } catch (e) { return StringC(typeof data); }
  }
  method(W, 'postMessage', function (self, args) {
    var origin = typeof args[1] === 'string' ? args[1] : (args[1] && args[1].targetOrigin) || '';
    send('sink', { sink: 'postMessage', origin: cut(origin, 200) }, serialise(args[0]));
  });
  var seenMessages = new WeakSetC();
  accessor(W.MessageEvent.prototype, 'data', function (self, v) {
    if (call(wsHas, seenMessages, [self])) return;
    call(wsAdd, seenMessages, [self]);
    var origin = call(originGet, self);
    if (origin && origin !== loc.origin) {
      send('sink', { sink: 'message-received', origin: cut(origin, 200) }, serialise(v));
    }
  });
  // A frame of another origin than the page's (a kit's own invisible iframe, answered inside
  // the browser) has no code of its own to read what it is handed, and a message posted into
  // it from outside passes no hook of the sender's: each message from another origin that
  // nothing in the frame read is read where it arrives.
  // The same for a frame's name: set before the frame was sent to another origin
  // (`f.contentWindow.name = data; f.contentWindow.location = 'https://drop/…'`), it arrives
  // there with it.
  try {
    if (W !== W.top) {
      // read after the frame's own listeners (their reading names their script)
      call(nativeAdd, W, ['message', function (ev) {
        call(setTimeoutN, W, [function () {
          if (!call(wsHas, seenMessages, [ev])) { try { return ev.data; } catch (e) { } }
        }, 0]);
      }, true]);
      var topOrigin = null;
      try { topOrigin = W.top.location.origin; } catch (e) { /* another origin's */ }
      var carried = W.name;
      if (carried && topOrigin !== loc.origin) {
        send('sink', { sink: 'window-name', origin: cut(loc.origin, 200) }, StringC(carried));
      }
    }
  } catch (e) { /* a sandboxed frame that may not see its top */ }

  // ------------------------------------------------------------------ WebSocket (+ quarantine)
  function trusted(host) {
    if (!host || host === lower(loc.hostname)) return true;
    for (var i = 0; i < C.trusted.length; i++) {
      var d = C.trusted[i];
      if (host === d || (host.length > d.length && call(strSlice, host, [-d.length - 1]) === '.' + d)) return true;
    }
    return false;
  }
  var WSC = W.WebSocket, WSP = WSC && WSC.prototype;
  var fakes = new WeakMapC(), socketUrls = new WeakMapC();
  function fire(sock, st, type, ev) {
    try { call(nativeDispatch, sock, [ev]); } catch (e) { }
    var handler = st.on[type];
    if (typeof handler === 'function') { try { call(handler, sock, [ev]); } catch (e) { } }
  }
  function fakeSocket(url, protocols) {
    var sock = construct(EventTargetC, []);
    setProto(sock, WSP);
    var st = { url: url, readyState: 0, on: {}, binaryType: 'blob',
      protocol: '', extensions: '', bufferedAmount: 0 };
    mset(fakes, sock, st);
    call(setTimeoutN, W, [function () {
      if (st.readyState !== 0) return;
      st.readyState = 1;
      fire(sock, st, 'open', new EventC('open'));
    }, 1]);
    return sock;
  }
  // Strings only: stringifying a page's object would run its code, which the native
  // constructor then runs a second time (a difference a page could notice).
  function subprotocols(p) {
    if (typeof p === 'string') return p;
    if (!isArray(p)) return '';
    var out = '';
    for (var i = 0; i < p.length; i++) {
      if (typeof p[i] !== 'string') return '';
      out += (i ? ', ' : '') + p[i];
    }
    return out;
  }
  if (WSP) {
    ctor(W, 'WebSocket', function (args, t, nt) {
      var url = absolute(args[0]);
      var swallow = armed && !trusted(hostOf(url));
      var protocols = subprotocols(args[1]);  // they carry data too
      send('sink', { sink: 'websocket', url: cut(url, 2000), swallowed: swallow ? '1' : '' },
           protocols || null);
      if (swallow) return answer(fakeSocket(url, args[1]));
      var sock = construct(t, args, nt);
      mset(socketUrls, sock, url);
      return answer(sock);
    });
    var FIELDS = ['url', 'readyState', 'bufferedAmount', 'extensions', 'protocol', 'binaryType'];
    for (var f = 0; f < FIELDS.length; f++) (function (name) {
      var d = getDesc(WSP, name);
      if (!d || !d.get) return;
      var g = d.get;
      d.get = hide(new ProxyC(g, { apply: function (t, self, args) {
        var st = mhas(fakes, self) ? mget(fakes, self) : null;
        return st ? st[name] : apply(t, self, args);
      } }), g);
      if (d.set) {
        var s = d.set;
        d.set = hide(new ProxyC(s, { apply: function (t, self, args) {
          var st = mhas(fakes, self) ? mget(fakes, self) : null;
          if (st) { st[name] = StringC(args[0]); return undefined; }
          return apply(t, self, args);
        } }), s);
      }
      defineProperty(WSP, name, d);
    })(FIELDS[f]);
    var ONS = ['onopen', 'onmessage', 'onerror', 'onclose'];
    for (var o = 0; o < ONS.length; o++) (function (name) {
      var d = getDesc(WSP, name);
      if (!d || !d.get || !d.set) return;
      var g = d.get, s = d.set, type = call(strSlice, name, [2]);
      d.get = hide(new ProxyC(g, { apply: function (t, self, args) {
        var st = mhas(fakes, self) ? mget(fakes, self) : null;
        return st ? (st.on[type] || null) : apply(t, self, args);
      } }), g);
      d.set = hide(new ProxyC(s, { apply: function (t, self, args) {
        var st = mhas(fakes, self) ? mget(fakes, self) : null;
        if (st) { st.on[type] = typeof args[0] === 'function' ? args[0] : null; return undefined; }
        return apply(t, self, args);
      } }), s);
      defineProperty(WSP, name, d);
    })(ONS[o]);
    method(WSP, 'send', function (self, args) {
      var st = mhas(fakes, self) ? mget(fakes, self) : null;
      var url = st ? st.url : (mget(socketUrls, self) || '');
      var swallow = !!st || (armed && !trusted(hostOf(url)));
      var data = args[0];
      var text = typeof data === 'string' ? data : '[binary ' + (data && (data.byteLength || data.size) || 0) + ' bytes]';
      send('sink', { sink: 'ws-send', url: cut(url, 2000), swallowed: swallow ? '1' : '' }, text);
      if (swallow) return answer(undefined);
    });
    method(WSP, 'close', function (self) {
      var st = mhas(fakes, self) ? mget(fakes, self) : null;
      if (!st) return;
      if (st.readyState < 2) {
        st.readyState = 3;
        call(setTimeoutN, W, [function () {
          fire(self, st, 'close', new CloseEventC('close', { code: 1000, wasClean: true }));
        }, 1]);
      }
      return answer(undefined);
    });
  }

  // ------------------------------------------------------------------ storage and gates
  method(W.Storage.prototype, 'setItem', function (self, args) {
    var store = self === W.localStorage ? 'local' : 'session';
    send('storage', { store: store, key: cut(args[0], 100) }, StringC(args[1]));
  });
  accessor(W.Document.prototype, 'cookie', null, function (self, value) {
    var v = StringC(value);
    send('storage', { store: 'cookie', key: cut(call(strSlice, v, [0, Math.max(0, call(strIndexOf, v, ['=']))]), 100) }, v);
  });
  accessor(W.Navigator.prototype, 'webdriver', function () { send('gate', { check: 'webdriver' }); });
  if (W.Geolocation) {
    method(W.Geolocation.prototype, 'getCurrentPosition', function () { send('gate', { check: 'geolocation' }); });
    method(W.Geolocation.prototype, 'watchPosition', function () { send('gate', { check: 'geolocation' }); });
  }

  // ------------------------------------------------------------------ missing elements (detonation)
  if (C.synth) (function (S) {
    var made = 0, RegExpC = W.RegExp;
    var rules = [];
    for (var i = 0; i < S.rules.length; i++) rules[i] = [S.rules[i][0], new RegExpC(S.rules[i][1], 'i')];
    var PAY = new RegExpC(S.pay, 'i'), SKIP = new RegExpC(S.skip, 'i');
    var FORM = new RegExpC(S.form, 'i'), buttons = [], mirrored = new WeakSetC();
    // `#id`, `tag#id`, `[name=x]`, `tag[name="x"]`: what code aimed at one platform asks for
    // (classes after an id are given to what is made: `#btnCreditCard.primary`; an escaped dot is the id's)
    // `[id="x"]`, `[name="card[number]"]` (brackets inside quotes; other attributes are read
    // for tests, see `standIn`); `form.payment-form`: a form by its class (only the card form)
    var SIMPLE = /^\s*([a-z]+)?(?:#((?:[\w\-\[\]:]|\\.)+)((?:\.[\w\-]+)*)|\[\s*([\w\-:]+)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\]\s"']+))\s*\]|\.([\w\-]+))\s*$/i;
    var CAMEL = /([a-z0-9])([A-Z])/g, JOINER = /[_.\-]+/g;
    // a name that says it is a button (`btnCreditCard`, `card-submit`): the pay button, whatever
    // else it names (Newegg's kit pressed `#btnCreditCard`)
    var BUTTON = /(?:^|\s)(?:btn|button|submit)(?:\s|$)/i;
    // an id that is only the name of a checkout step (`#checkout`, `#payment`): the step's form
    // or its container, not its button (Newegg's kit serialised `#checkout`)
    var STAGE = /^(?:checkout|payment|billing|order)(?:[\s_\-]?(?:page|container|wrapper|area|section|step))?$/i;
    function kindOf(word, tagHint, isClass) {
      if (!word || test(SKIP, word)) return '';
      // `payButton`, `btn_pay`: the words of a name written without spaces
      var words = call(strReplace, call(strReplace, word, [CAMEL, '$1 $2']), [JOINER, ' ']);
      // (an id or a name: every button has a class `.btn`)
      if (!isClass && tagHint !== 'form' && tagHint !== 'input' && test(BUTTON, words)) return 'pay';
      for (var i = 0; i < rules.length; i++) if (test(rules[i][1], word)) return rules[i][0];
      if (tagHint === 'form') {
        // a form asked for by name: the page's card form when the name is a payment form's
        // (`form#pay`, `form[name=checkout]`), else nothing (not a button, not a field)
        return test(FORM, word) || test(FORM, words) || test(PAY, words) ? 'form' : '';
      }
      if (tagHint === '' && (test(FORM, word) || test(FORM, words) || test(STAGE, word))) return 'form';
      return test(PAY, word) || test(PAY, words) ? 'pay' : '';
    }
    function home() {
      var forms = doc.forms, first = null;
      for (var i = 0; i < forms.length; i++) {
        if (formHasCard(forms[i])) return forms[i];
        if (!first) first = forms[i];
      }
      return first || doc.body;
    }
    function created(el, kind, selector) {
      made++;
      send('synth', { field: describe(el), kind: kind, selector: cut(selector, 120) });
      return el;
    }
    function make(id, name, tagHint, selector, generic, cls, classes) {
      if (made >= S.max || !doc.body) return null;
      var word = id || name || cls, kind = kindOf(word, tagHint, !id && !name);
      if (cls && kind !== 'form') return null;
      if (kind === 'form') {
        // another platform's name for the payment form: the page's card form answers to it
        var form = home();
        if (!form || tag(form) !== 'FORM') return null;
        return created(form, 'form', selector);
      }
      if (!kind && !generic) return null;
      if (!kind) {
        // an element the code needs to exist (its text read, a class set): a plain one
        var box = call(createN, doc, ['div']);
        call(setAttrN, box, ['id', word]);
        if (classes) call(setAttrN, box, ['class', classes]);
        try { call(appendN, doc.body, [box]); } catch (e) { return null; }
        return created(box, 'element', selector);
      }
      var button = kind === 'pay' || tagHint === 'button';
      var el = call(createN, doc, [button ? 'button' : 'input']);
      if (id) call(setAttrN, el, ['id', id]);
      // `#btnCreditCard.paymentBtn.creditcard`: the classes too, so the selector finds it
      if (classes) call(setAttrN, el, ['class', classes]);
      if (name) call(setAttrN, el, ['name', name]);
      if (button) {
        call(setAttrN, el, ['type', 'submit']);
        el.textContent = 'Place Order';
      } else {
        call(setAttrN, el, ['type', 'text']);
        call(setAttrN, el, ['placeholder', word]);
        var value = S.values[kind];
        if (value) el.value = value;
      }
      try { call(appendN, home(), [el]); } catch (e) { return null; }
      if (button) buttons[buttons.length] = el;
      return created(el, kind, selector);
    }
    // The parts of a selector list SIMPLE reads (at most 8): tag hint, id, attribute (name
    // and value) and class of each.
    function simpleParts(sel) {
      var parts = call(strSplit, sel, [',']), out = [];
      for (var i = 0; i < parts.length && i < 8; i++) {
        var m = SIMPLE.exec(parts[i]);
        if (!m) continue;
        out[out.length] = { hint: lower(m[1] || ''), id: m[2] ? call(strReplace, m[2], [/\\/g, '']) : '',
          classes: m[3] ? call(strReplace, call(strSlice, m[3], [1]), [/\./g, ' ']) : '',
          key: lower(m[4] || ''), value: m[5] || m[6] || m[7] || '', cls: m[8] || '' };
      }
      return out;
    }
    function fromSelector(sel) {
      if (typeof sel !== 'string') return null;
      var parts = simpleParts(sel);
      for (var i = 0; i < parts.length; i++) {  // a selector list: its first usable part
        var p = parts[i];
        if (p.cls && p.hint !== 'form') continue;
        // other attributes (`[autocomplete=cc-number]`) are what generic kits try first in a
        // list whose later entries find the page's own fields: nothing is made for them
        if (p.key && p.key !== 'id' && p.key !== 'name') continue;
        var el = p.cls ? make('', '', p.hint, sel, false, p.cls)
          : make(p.key === 'id' ? p.value : p.id, p.key === 'name' ? p.value : '', p.hint, sel,
            false, '', p.classes);
        if (el) return el;
      }
      return null;
    }
    // The shopper presses the page's own pay button; a created one stands for it, so the same
    // press reaches it too (code aimed at another platform listens there).
    var PRESS = ['mousedown', 'mouseup', 'click', 'touchend'];
    function mirror(ev) {
      try {
        var target = ev.target;
        if (!buttons.length || !is(target, HTMLElementC) || call(wsHas, mirrored, [ev])) return;
        // the press lands on what is inside the button (Magento's and Shopify's `<span>`)
        for (var up = 0; up < 4 && target && !isButton(target); up++) target = target.parentElement;
        if (!target || !isButton(target) || buttons.indexOf(target) >= 0) return;
        for (var i = 0; i < buttons.length; i++) {
          var copy = new EventC(ev.type, { bubbles: true, cancelable: true });
          call(wsAdd, mirrored, [copy]);
          call(nativeDispatch, buttons[i], [copy]);
        }
      } catch (e) { }
    }
    for (var q = 0; q < PRESS.length; q++) call(nativeAdd, W, [PRESS[q], mirror, true]);
    method(W.Document.prototype, 'getElementById', function (self, args, t) {
      if (self !== doc || apply(t, self, args) !== null) return;
      var el = make(StringC(args[0]), '', '', '#' + args[0], true);
      if (el) return answer(el);
    });
    function one(self, args, t) {
      if (apply(t, self, args) !== null) return;
      var el = fromSelector(args[0]);
      if (el) return answer(el);
    }
    method(W.Document.prototype, 'querySelector', one);
    method(W.Element.prototype, 'querySelector', one);
    function all(self, args, t) {
      if (apply(t, self, args).length) return;
      var el = fromSelector(args[0]);
      if (!el) return;
      // a made element matches; the card form answering to another name does not (a list)
      var again = apply(t, self, args);
      return answer(again.length ? again : [el]);
    }
    method(W.Document.prototype, 'querySelectorAll', all);
    method(W.Element.prototype, 'querySelectorAll', all);
    // `e.target.matches('#submit-payment, .checkout-pay')`, `e.target.closest('#cc-num')`: a
    // kit written for another shop tests the element an event reached against its own names.
    // The page's pay button (or what is inside it) passes for a pay button of any name, and a
    // card field for a field of the same kind, as a created element stands in for a missing
    // one; recorded once per selector, as a synthesised element is.
    var standIns = new MapC();
    function fieldSort(kind) {  // a kind of made field as `fieldKind` says it of the page's
      return kind === 'exp_month' || kind === 'exp_year' ? 'expiry' : kind;
    }
    function stoodIn(el, name, kind) {  // recorded once per name, as a made element is
      if (call(mapGet, standIns, [name]) || made >= S.max) return;
      call(mapSet, standIns, [name, true]);
      made++;
      send('synth', { field: cut(describe(el) + ' as ' + name, 120), kind: kind,
        selector: cut(name, 120) });
    }
    function standIn(self, sel) {
      var parts = simpleParts(sel);
      for (var i = 0; i < parts.length; i++) {
        var p = parts[i];
        var kind = kindOf(p.id || p.value || p.cls, p.hint, !p.id && !p.value);
        if (kind === 'pay') {
          var el = self;
          for (var up = 0; up < 4 && el && !isButton(el); up++) el = el.parentElement;
          if (el && isButton(el)) return [el, kind];
        } else if (kind && kind !== 'form') {
          if (fieldKind(self, '') === fieldSort(kind)) return [self, kind];
        }
      }
      return null;
    }
    function tested(closest) {
      return function (self, args, t) {
        var found = apply(t, self, args);  // (one native call: its answer is returned)
        if (found || typeof args[0] !== 'string' || !is(self, HTMLElementC)) return answer(found);
        var hit = standIn(self, args[0]);
        if (!hit) return answer(found);
        stoodIn(hit[0], args[0], hit[1]);
        return answer(closest ? hit[0] : true);
      };
    }
    method(W.Element.prototype, 'matches', tested(false));
    method(W.Element.prototype, 'closest', tested(true));
    // `ids.indexOf(e.target.id) !== -1`, `NAMES.includes(el.name)`: a kit's list of its own
    // field names, tested against the field an event reached. A card field of the page passes
    // for the list's entry of the same kind (recorded once per entry, as a stand-in).
    function pageField(v) {
      if (typeof v !== 'string' || !v || v.length > 100) return null;
      var el = call(byIdN, doc, [v]) || call(byNameN, doc, [v])[0];
      var kind = el ? fieldKind(el, '') : '';
      return kind ? [el, kind] : null;
    }
    function listed(includes) {
      return function (self, args, t) {
        var found = apply(t, self, args);
        if ((includes ? found : found !== -1) || args.length !== 1 || !isArray(self) ||
            self.length > 64) return answer(found);  // (with a start index: as it stands)
        var field = pageField(args[0]);
        if (!field) return answer(found);
        for (var i = 0; i < self.length; i++) {
          var entry = self[i];
          if (typeof entry !== 'string' || !entry) continue;
          if (fieldSort(kindOf(entry, 'input')) !== field[1]) continue;
          stoodIn(field[0], entry, field[1]);
          return answer(includes ? true : i);
        }
        return answer(found);
      };
    }
    method(W.Array.prototype, 'indexOf', listed(false));
    method(W.Array.prototype, 'includes', listed(true));
    // A kit that replaces a sink to copy what the page sends (`window.fetch = wrapper`,
    // `XMLHttpRequest.prototype.send = …`) has done something before anything is sent: the
    // replacement is recorded, so the file is tried on a page that sends that way. (Detonation
    // only: on a scanned page the property stays as the browser made it.)
    function replaced(obj, name, label) {
      var d = obj && getDesc(obj, name);
      if (!d || !('value' in d) || !d.writable || !d.configurable) return;
      var current = d.value;
      defineProperty(obj, name, { configurable: true, enumerable: d.enumerable,
        get: function () { return current; },
        set: function (v) {
          if (this !== obj) {  // on one object (`xhr.send = f`): its own property, as before
            defineProperty(this, name, { configurable: true, enumerable: true, writable: true, value: v });
            return;
          }
          if (v !== current) send('hook', { sink: label });
          current = v;
        } });
    }
    replaced(W, 'fetch', 'fetch');
    replaced(W.XMLHttpRequest.prototype, 'open', 'xhr');
    replaced(W.XMLHttpRequest.prototype, 'send', 'xhr');
    replaced(W.Navigator.prototype, 'sendBeacon', 'beacon');
    method(W.Document.prototype, 'getElementsByName', function (self, args, t) {
      if (self !== doc || apply(t, self, args).length) return;
      make('', StringC(args[0]), '', '[name="' + args[0] + '"]');
    });
  })(C.synth);

  // ------------------------------------------------------------------ a shopper's browser
  var GL = C.webgl;
  function glParameter(self, args, t) {
    if (args[0] === 37445) return answer(GL[0]);  // UNMASKED_VENDOR_WEBGL
    if (args[0] === 37446) return answer(GL[1]);  // UNMASKED_RENDERER_WEBGL
  }
  if (W.WebGLRenderingContext) method(W.WebGLRenderingContext.prototype, 'getParameter', glParameter);
  if (W.WebGL2RenderingContext) method(W.WebGL2RenderingContext.prototype, 'getParameter', glParameter);
  var innerW = getDesc(W, 'innerWidth'), innerH = getDesc(W, 'innerHeight');
  function chrome(name, inner, extra) {
    accessor(W, name, function (self, v) {
      var i = inner && inner.get ? call(inner.get, W) : v;
      if (v <= i) return answer(i + extra);
    });
  }
  if (C.platform) {  // the user agent says Windows: so does everything else
    accessor(W.Navigator.prototype, 'platform', function () { return answer(C.platform[0]); });
    if (W.NavigatorUAData) {
      accessor(W.NavigatorUAData.prototype, 'platform', function () { return answer(C.platform[1]); });
    }
  }
  chrome('outerWidth', innerW, C.chrome[0]);
  chrome('outerHeight', innerH, C.chrome[1]);
  accessor(W.Screen.prototype, 'availHeight', function (self, v) {
    var full = call(getDesc(W.Screen.prototype, 'height').get, self);
    if (v >= full) return answer(full - C.chrome[2]);
  });
  var CONSOLE = ['log', 'info', 'warn', 'error', 'debug', 'dir', 'dirxml', 'table', 'trace',
    'assert', 'group', 'groupCollapsed', 'count', 'timeLog'];
  var errString = W.Error.prototype.toString, ErrorC = W.Error;
  function plain(arg) {
    if (arg === null || (typeof arg !== 'object' && typeof arg !== 'function')) return arg;
    if (is(arg, ErrorC)) { try { return call(errString, arg); } catch (e) { return 'Error'; } }
    return typeof arg === 'function' ? 'function' : isArray(arg) ? 'Array' : 'Object';
  }
  for (var c = 0; c < CONSOLE.length; c++) method(con, CONSOLE[c], function (self, args, t) {
    var out = [];
    for (var i = 0; i < args.length; i++) out[i] = plain(args[i]);
    return answer(apply(t, self, out));
  });

  // ------------------------------------------------------------------ arming the quarantine
  if (!C.live) {
    call(nativeAdd, W, [NONCE + '-arm', function (ev) {
      armed = true;
      try { call(stopNow, ev); } catch (e) { }
      send('armed', {});
    }, true]);
  }
  send('init', { url: cut(loc.href, 300) });
})(/*SKIMSCAN_CONFIG*/);
