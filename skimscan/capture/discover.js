/* skimscan shopper: describe the form fields and buttons of one frame (STAGE 1, capture).
 * Evaluated by skimscan/capture/shopper.py in an isolated world of its own (never the page's
 * world): it reads the DOM and changes nothing. Returns a JSON string:
 *   {url, fields: [{path, tag, type, name, id, autocomplete, placeholder, label, visible,
 *                   editable, filled, form, policy, options}], buttons: [{path, text, type, id,
 *                   name, visible, form}], choices: [{path, text, name, value, id, checked,
 *                   visible, label}]}
 * `choices` are the radio buttons and radio-like tabs (payment-method pickers); `label` is the
 * path of a visible label to click when the radio itself is hidden by custom styling.
 */
(function (policySelectors) {
  'use strict';
  var MAX = 300;
  function esc(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&'); }
  function path(el) {
    var parts = [];
    while (el && el.nodeType === 1) {
      if (el.id && document.querySelectorAll('#' + esc(el.id)).length === 1) {
        parts.unshift('#' + esc(el.id));
        break;
      }
      var tag = el.tagName.toLowerCase(), n = 1, sib = el;
      while ((sib = sib.previousElementSibling)) if (sib.tagName === el.tagName) n++;
      parts.unshift(tag + ':nth-of-type(' + n + ')');
      el = el.parentElement;
    }
    return parts.join(' > ');
  }
  function text(el) { return (el && (el.innerText || el.textContent) || '').replace(/\s+/g, ' ').trim().slice(0, 120); }
  function ownText(el) {  // a label's words without the controls inside it (options, values)
    var copy = el.cloneNode(true);
    var inner = copy.querySelectorAll('select, option, input, textarea, button');
    for (var i = 0; i < inner.length; i++) inner[i].remove();
    return (copy.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 120);
  }
  function label(el) {
    var out = [];
    if (el.labels) for (var i = 0; i < el.labels.length; i++) out.push(ownText(el.labels[i]));
    var by = el.getAttribute('aria-labelledby');
    if (by) by.split(/\s+/).forEach(function (id) { var l = document.getElementById(id); if (l) out.push(ownText(l)); });
    return out.join(' | ').slice(0, 200);
  }
  function near(el) {  // the words just before a field without a label of its own
    var prev = el.previousElementSibling;
    if (!prev || !/^(LABEL|SPAN|DIV|P|STRONG|B)$/.test(prev.tagName)) return '';
    if (prev.querySelector('input, select, textarea')) return '';
    if (prev.tagName === 'LABEL' && prev.htmlFor && prev.htmlFor !== el.id) return '';
    return ownText(prev).slice(0, 80);
  }
  function visible(el) {
    var r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    var s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && parseFloat(s.opacity || '1') > 0.05;
  }
  function rect(el) {  // in document coordinates (the full-page screenshot's)
    var r = el.getBoundingClientRect();
    return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];
  }
  var policy = [];
  (policySelectors || []).forEach(function (sel, i) {
    try { var el = document.querySelector(sel); if (el) policy.push([el, i]); } catch (e) { }
  });
  function policyIndex(el) {
    for (var i = 0; i < policy.length; i++) if (policy[i][0] === el) return policy[i][1];
    return -1;
  }
  var fields = [], buttons = [], radios = [];
  var els = document.querySelectorAll('input, select, textarea');
  for (var i = 0; i < els.length && fields.length < MAX; i++) {
    var el = els[i], type = (el.getAttribute('type') || '').toLowerCase();
    if (/^(hidden|submit|button|image|reset|checkbox|radio|file|range|color)$/.test(type)) {
      if (/^(submit|button|image)$/.test(type)) buttons.push(el);
      if (type === 'radio') radios.push(el);
      continue;
    }
    var options = [];
    if (el.tagName === 'SELECT') for (var j = 0; j < el.options.length && j < 60; j++) {
      options.push([el.options[j].value, text(el.options[j])]);
    }
    fields.push({
      path: path(el), tag: el.tagName.toLowerCase(), type: type, name: el.getAttribute('name') || '',
      id: el.id || '', autocomplete: el.getAttribute('autocomplete') || '',
      placeholder: el.getAttribute('placeholder') || '', aria: el.getAttribute('aria-label') || '',
      label: label(el), near: near(el), visible: visible(el), editable: !el.disabled && !el.readOnly,
      filled: el.tagName !== 'SELECT' && !!el.value,
      form: el.form ? path(el.form) : '', policy: policyIndex(el), options: options,
      classes: (el.getAttribute('class') || '').slice(0, 120), maxlength: el.maxLength || -1,
      rect: rect(el)
    });
  }
  var bs = document.querySelectorAll('button, [role=button], a.button, a.btn');
  for (var k = 0; k < bs.length; k++) buttons.push(bs[k]);
  var outButtons = [];
  for (var b = 0; b < buttons.length && outButtons.length < MAX; b++) {
    var btn = buttons[b];
    outButtons.push({
      path: path(btn), text: text(btn) || btn.getAttribute('value') || btn.getAttribute('aria-label') || '',
      type: (btn.getAttribute('type') || (btn.tagName === 'BUTTON' ? 'submit' : '')).toLowerCase(),
      id: btn.id || '', name: btn.getAttribute('name') || '', classes: (btn.getAttribute('class') || '').slice(0, 120),
      visible: visible(btn), form: btn.form ? path(btn.form) : (btn.closest('form') ? path(btn.closest('form')) : '')
    });
  }
  var choices = [];
  var tabs = document.querySelectorAll('[role=radio], [role=tab]');
  for (var t = 0; t < tabs.length; t++) radios.push(tabs[t]);
  for (var c = 0; c < radios.length && choices.length < MAX; c++) {
    var r = radios[c], own = r.labels && r.labels.length ? r.labels[0] : r.closest('label');
    var parts = [label(r), near(r), own ? ownText(own) : '', r.getAttribute('aria-label') || '',
                 r.tagName === 'INPUT' ? '' : text(r)], seen = [];
    parts.forEach(function (p) { if (p && seen.indexOf(p) < 0) seen.push(p); });
    var words = seen.join(' ').replace(/\s+/g, ' ').trim();
    choices.push({
      path: path(r), text: words.slice(0, 160), name: r.getAttribute('name') || '',
      value: (r.getAttribute('value') || '').slice(0, 80), id: r.id || '',
      checked: r.tagName === 'INPUT' ? !!r.checked : r.getAttribute('aria-selected') === 'true'
        || r.getAttribute('aria-checked') === 'true',
      visible: visible(r), label: own && visible(own) ? path(own) : ''
    });
  }
  return JSON.stringify({ url: location.href, fields: fields, buttons: outButtons, choices: choices });
})
