// A WebSocket client built on the `ws` package, for the transparent-relay tests
// (tests/proxy/transparent_test.cc). It connects, runs a small script and prints one JSON
// line per thing it observes, then exits 0 (1 on its own timeout):
//
//   {"ev":"open","status":101,"headers":RAW,"protocol":P,"extensions":E}  RAW: the 101's
//                                                   res.rawHeaders (names as sent, in order)
//   {"ev":"unexpected-response","status":N,"statusMessage":S,"headers":RAW,"body":B}
//   {"ev":"sent","binary":B,"len":N,"sha256":H}     each message it sent
//   {"ev":"message","binary":B,"len":N,"sha256":H,"data":D}  D: the text, or hex when binary
//                                                   (left out above 4 KiB)
//   {"ev":"ping"|"pong","data":HEX}
//   {"ev":"error","message":S}
//   {"ev":"close","code":N,"reason":S}              the last line of a WebSocket
//   {"ev":"timeout"}
//
// Usage: node ws_client.mjs URL [OPTIONS_JSON]
//   headers: {name: value}          extra request headers (Origin, Authorization, ...)
//   protocols: [..]                 offered subprotocols
//   perMessageDeflate: bool|object  `ws` option (its default, true, offers the extension)
//   send: [{text: S} | {binary: HEX} | {pattern: N}]  sent in order once open;
//                                   pattern: N deterministic pseudo-random bytes (binary)
//   expect: N                       messages to wait for before closing (default: send.length)
//   close: {code, reason}           close after them; without it, wait for the server to close
//   timeoutMs: N                    default 10000
import crypto from 'node:crypto';
import WebSocket from 'ws';

const url = process.argv[2];
const options = process.argv[3] ? JSON.parse(process.argv[3]) : {};

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function digest(buf, isBinary) {
  return {
    binary: isBinary,
    len: buf.length,
    sha256: crypto.createHash('sha256').update(buf).digest('hex'),
  };
}

// N bytes of xorshift32 output: the same bytes in every run.
function pattern(n) {
  const buf = Buffer.allocUnsafe(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

const wsOptions = { headers: options.headers || {} };
if (options.perMessageDeflate !== undefined) wsOptions.perMessageDeflate = options.perMessageDeflate;
const ws = new WebSocket(url, options.protocols || [], wsOptions);

let upgradeHeaders = null;
ws.on('upgrade', (res) => {
  upgradeHeaders = res.rawHeaders;
});

ws.on('unexpected-response', (req, res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    emit({
      ev: 'unexpected-response',
      status: res.statusCode,
      statusMessage: res.statusMessage,
      headers: res.rawHeaders,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    process.exit(0);
  });
  res.on('error', (e) => {
    emit({ ev: 'error', message: e.message });
    process.exit(0);
  });
});

const send = options.send || [];
const expect = options.expect !== undefined ? options.expect : send.length;
let received = 0;

function maybeClose() {
  if (received >= expect && options.close) ws.close(options.close.code, options.close.reason);
}

ws.on('open', () => {
  emit({
    ev: 'open',
    status: 101,
    headers: upgradeHeaders,
    protocol: ws.protocol,
    extensions: ws.extensions,
  });
  for (const m of send) {
    if (m.text !== undefined) {
      ws.send(m.text, { binary: false });
      emit({ ev: 'sent', ...digest(Buffer.from(m.text), false) });
    } else {
      const buf = m.binary !== undefined ? Buffer.from(m.binary, 'hex') : pattern(m.pattern);
      ws.send(buf, { binary: true });
      emit({ ev: 'sent', ...digest(buf, true) });
    }
  }
  maybeClose();
});

ws.on('message', (data, isBinary) => {
  const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
  const out = { ev: 'message', ...digest(buf, isBinary) };
  if (buf.length <= 4096) out.data = isBinary ? buf.toString('hex') : buf.toString('utf8');
  emit(out);
  received++;
  maybeClose();
});
ws.on('ping', (d) => emit({ ev: 'ping', data: d.toString('hex') }));
ws.on('pong', (d) => emit({ ev: 'pong', data: d.toString('hex') }));
ws.on('error', (e) => emit({ ev: 'error', message: e.message }));
ws.on('close', (code, reason) => {
  emit({ ev: 'close', code, reason: reason.toString() });
  process.exit(0);
});

setTimeout(() => {
  emit({ ev: 'timeout' });
  process.exit(1);
}, options.timeoutMs || 10000);
