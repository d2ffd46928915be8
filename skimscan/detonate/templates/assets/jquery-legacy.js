/* skimscan synthetic checkout: the jQuery 1.x API that old shops' code (and the kits written
 * for those shops) call, on top of jQuery 3.7.1 — the role jquery-migrate plays on real shops.
 * Loaded right after jQuery on every template; the checkout's own code, never a skimmer: it
 * reads no field and sends nothing.
 *   .size()  .andSelf()  .selector  .live()/.die()  .load(fn)/.unload(fn)/.error(fn)
 *   .toggle(fn, fn, ...)  $.browser  $.support.boxModel  ($.isArray, $.trim ... 3.7.1 has)
 */
(function ($) {
  'use strict';
  if (!$ || !$.fn) return;
  var fn = $.fn, init = fn.init;
  // .selector (gone in 3.0): what .live() binds to, and what old code reads back
  fn.init = function (selector, context, root) {
    var made = new init(selector, context, root);
    if (typeof selector === 'string') made.selector = selector;
    return made;
  };
  fn.init.prototype = fn;
  if (!fn.size) fn.size = function () { return this.length; };
  if (!fn.andSelf) fn.andSelf = fn.addBack;
  fn.live = function (types, data, handler) {  // delegated from the document, as 1.x did
    if (typeof this.selector !== 'string') return this.on(types, data, handler);
    $(document).on(types, this.selector, data, handler);
    return this;
  };
  fn.die = function (types, handler) {
    if (typeof this.selector !== 'string') return this.off(types, handler);
    $(document).off(types, this.selector, handler);
    return this;
  };
  ['load', 'unload', 'error'].forEach(function (name) {  // event shorthands, not AJAX .load
    var ajaxLoad = fn[name];
    fn[name] = function (first) {
      if (typeof first === 'function' || typeof arguments[1] === 'function' && name !== 'load') {
        return this.on.apply(this, [name].concat([].slice.call(arguments)));
      }
      return ajaxLoad ? ajaxLoad.apply(this, arguments) : this.trigger(name);
    };
  });
  var toggle = fn.toggle;
  fn.toggle = function (first, second) {  // .toggle(fn, fn, ...): alternate on click
    if (typeof first !== 'function' || typeof second !== 'function') {
      return toggle.apply(this, arguments);
    }
    var handlers = [].slice.call(arguments), turn = 0;
    return this.on('click', function () {
      var result = handlers[turn % handlers.length].apply(this, arguments);
      turn++;
      return result;
    });
  };
  var ua = (navigator.userAgent || '').toLowerCase();
  var m = /(edge|edg)[ \/]([\w.]+)/.exec(ua) || /(chrome)[ \/]([\w.]+)/.exec(ua) ||
    /(webkit)[ \/]([\w.]+)/.exec(ua) || /(msie) ([\w.]+)/.exec(ua) ||
    (ua.indexOf('compatible') < 0 && /(mozilla)(?:.*? rv:([\w.]+)|)/.exec(ua)) || [];
  var browser = { version: m[2] || '0' };
  if (m[1]) browser[m[1] === 'edg' ? 'edge' : m[1]] = true;
  if (browser.chrome || browser.edge) browser.webkit = true;
  if (browser.webkit) browser.safari = true;
  if (!$.browser) $.browser = browser;
  if (!$.support.boxModel) $.support.boxModel = document.compatMode === 'CSS1Compat';
})(window.jQuery);
