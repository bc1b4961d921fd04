// Connects to argv[2] with the `ws` package (Node's usual client, as phoenix.js uses), and
// prints "open" when connected and "close CODE REASON" when the server closes.
// Used by record_close_test.cc because libwebsockets' own client rewrites some close codes
// (1012-1014) to 1002 before user code sees them.
const path = require('path');
const WebSocket = require(path.join(process.argv[3], 'tests/js/node_modules/ws'));
const ws = new WebSocket(process.argv[2]);
ws.on('open', () => console.log('open'));
ws.on('unexpected-response', (req, res) => { console.log('http ' + res.statusCode); process.exit(0); });
ws.on('close', (code, reason) => { console.log('close ' + code + ' ' + reason); process.exit(0); });
ws.on('error', (e) => { console.log('error ' + e.message); process.exit(0); });
setTimeout(() => { console.log('timeout'); process.exit(1); }, 20000);
