// Tests for checkout-url-gate: conditions on the page URL with checkout/order/payment words.

// ruleid: checkout-url-gate
if (/order|checkout|onestep/.test(window.location.href)) { start(); }

// ruleid: checkout-url-gate
if (location.pathname.indexOf('/checkout/onepage') !== -1) { start(); }

// ruleid: checkout-url-gate
var armed = new RegExp('onepage|firecheckout|payment').test(window.location) ? start() : null;

// ruleid: checkout-url-gate
if (window.location.href.includes('billing')) { start(); }

// ok: checkout-url-gate
if (location.pathname === '/' || location.pathname === '/index.html') { showHero(); }

// ok: checkout-url-gate
if (location.hostname === 'localhost') { enableDebug(); }

// ok: checkout-url-gate
if (/\/product\//.test(location.pathname)) { initGallery(); }

// ok: checkout-url-gate
if (location.protocol !== 'https:') { console.warn('insecure page'); }
