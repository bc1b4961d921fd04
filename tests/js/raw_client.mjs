// A hand-made WebSocket client on a plain `net` socket, for the frames `ws` refuses to
// produce (tests/proxy/transparent_test.cc). It writes an upgrade request with a fixed
// Sec-WebSocket-Key, then the scenario's frames, and prints one JSON line per thing it sees:
//
//   {"ev":"response","status_line":S,"headers":[name, value, ...]}  the upgrade response
//   {"ev":"body","data":S}                          what followed a non-101 response
//   {"ev":"frame","fin":B,"opcode":N,"masked":B,"payload":HEX[,"code":N,"reason":S]}
//   {"ev":"end"}                                    the server closed the TCP connection
//   {"ev":"error","message":S} / {"ev":"timeout"}
//
// Usage: node raw_client.mjs URL SCENARIO
//   unmasked  a text frame "unmasked hello" sent WITHOUT a mask (RFC 6455 5.1: the server
//             must fail the connection)
//   close1    a masked close frame with a 1-byte payload (RFC 6455 5.5.1: invalid)
//   closedrop a masked close frame 1000 "bye", then the TCP connection dropped at once
//             (exits 0 when the socket is closed, without waiting for the server)
//   unmasked_answer  as unmasked, and a close frame from the server is answered with the
//             same payload (masked) after 100 ms
// Exits 0 when the server closed the connection, 1 on its timeout (5 s).
import crypto from 'node:crypto';
import net from 'node:net';

const target = new URL(process.argv[2]);
const scenario = process.argv[3];

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function frame(opcode, payload, masked) {
  const head = [0x80 | opcode];
  if (payload.length >= 126) throw new Error('short frames only');
  head.push((masked ? 0x80 : 0) | payload.length);
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const mask = crypto.randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

const frames = {
  unmasked: () => frame(0x1, Buffer.from('unmasked hello'), false),
  close1: () => frame(0x8, Buffer.from([0x03]), true),
  closedrop: () => frame(0x8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]), true),
  unmasked_answer: () => frame(0x1, Buffer.from('unmasked hello'), false),
};
if (!frames[scenario]) {
  process.stderr.write(`unknown scenario ${scenario}\n`);
  process.exit(2);
}

const sock = net.connect(Number(target.port), target.hostname);
let buf = Buffer.alloc(0);
let upgraded = false;
let headDone = false;

sock.on('connect', () => {
  sock.write(
      `GET ${target.pathname}${target.search} HTTP/1.1\r\n` +
      `Host: ${target.host}\r\n` +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      'Sec-WebSocket-Version: 13\r\n\r\n');
});

function parseFrames() {
  while (buf.length >= 2) {
    const fin = (buf[0] & 0x80) !== 0;
    const opcode = buf[0] & 0x0f;
    const masked = (buf[1] & 0x80) !== 0;
    let len = buf[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) return;
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) return;
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    const maskAt = at;
    if (masked) at += 4;
    if (buf.length < at + len) return;
    const payload = Buffer.from(buf.subarray(at, at + len));
    if (masked) for (let i = 0; i < len; i++) payload[i] ^= buf[maskAt + (i % 4)];
    const out = { ev: 'frame', fin, opcode, masked, payload: payload.toString('hex') };
    if (opcode === 0x8 && len >= 2) {
      out.code = payload.readUInt16BE(0);
      out.reason = payload.subarray(2).toString('utf8');
    }
    emit(out);
    buf = buf.subarray(at + len);
    if (opcode === 0x8 && scenario === 'unmasked_answer') {
      setTimeout(() => sock.write(frame(0x8, payload, true)), 100);
    }
  }
}

sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (!headDone) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    const headers = [];
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':');
      headers.push(l.slice(0, colon), l.slice(colon + 1).trim());
    }
    emit({ ev: 'response', status_line: lines[0], headers });
    buf = buf.subarray(end + 4);
    headDone = true;
    upgraded = / 101 /.test(lines[0] + ' ');
    if (upgraded && scenario === 'closedrop') {
      sock.write(frames[scenario](), () => sock.destroy());
    } else if (upgraded) {
      sock.write(frames[scenario]());
    }
  }
  if (upgraded) {
    parseFrames();
  } else if (buf.length) {
    emit({ ev: 'body', data: buf.toString('utf8') });
    buf = Buffer.alloc(0);
  }
});
sock.on('error', (e) => emit({ ev: 'error', message: e.message }));
sock.on('close', () => {
  emit({ ev: 'end' });
  process.exit(0);
});
setTimeout(() => {
  emit({ ev: 'timeout' });
  process.exit(1);
}, 5000);
