// Tests for telegram-bot-token: a Telegram Bot API URL with a bot token in the script.

// ruleid: telegram-bot-token
var api = 'https://api.telegram.org/bot6123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage';

// ruleid: telegram-bot-token
fetch(`https://api.telegram.org/bot987654321:AAE-x_Yz0123456789abcdefGHIJ/sendDocument`, { method: 'POST' });

// ok: telegram-bot-token
window.open('https://t.me/share/url?url=' + encodeURIComponent(location.href));

// ok: telegram-bot-token
var docs = 'https://core.telegram.org/bots/api#sendmessage';

// ok: telegram-bot-token
var placeholder = 'https://api.telegram.org/bot<token>/getMe';
