// A WebSocket upstream built on the `ws` package, for the transparent-relay tests
// (tests/proxy/transparent_test.cc). It listens on 127.0.0.1:0, prints `listening PORT`, then
// one JSON line per thing it observes:
//
//   {"ev":"upgrade","url":U,"headers":RAW,"protocol":P,"extensions":E}  handshake (RAW is
//                                                   req.rawHeaders: names as sent, in order)
//   {"ev":"message","binary":B,"len":N,"sha256":H,"data":D}  D: the text, or hex when binary
//                                                   (left out above 4 KiB)
//   {"ev":"ping"|"pong","data":HEX}
//   {"ev":"close","code":N,"reason":S}              always the last line of a WebSocket
//   {"ev":"error","message":S,"code":WS_ERR_...}
//   {"ev":"refused","status":N}                     scenario refuse, after its upgrade line
//   {"ev":"tcp"} / {"ev":"data","len":N}            scenario silent
//
// Usage: node ws_upstream.mjs SCENARIO [OPTIONS_JSON]
//   echo        echo every message back (text as text, binary as binary)
//   close       close with options.code / options.reason after the first message
//   header      echo, and add `X-Server-Id: s-42` to the 101
//   subprotocol echo, and pick options.pick when the client offers it
//   refuse      answer the upgrade with options.status, options.headers ([[name, value]...])
//               and options.body, then close the TCP connection
//   ping        ping the client with options.payload; after its pong, close with 1000 "done"
//   deflate     echo with permessage-deflate (threshold 0)
//   silent      a plain TCP server that reads and never answers
//   slowclose   a hand-made WebSocket server on a plain TCP socket: accepts the upgrade,
//               answers the client's close frame with the same code and reason only after
//               options.delayMs (100), then ends the TCP connection. Prints {"ev":"upgrade","url":U}, {"ev":"client_close",
//               "code":N,"reason":S}, {"ev":"sent_close"} and, when the TCP connection ended,
//               {"ev":"close","code":N}
// Common options: tls: {cert, key} serves wss (https) with that PEM certificate and key.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { WebSocketServer } from 'ws';

const scenario = process.argv[2] || 'echo';
const options = process.argv[3] ? JSON.parse(process.argv[3]) : {};

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function describe(data, isBinary) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
  const out = {
    ev: 'message',
    binary: isBinary,
    len: buf.length,
    sha256: crypto.createHash('sha256').update(buf).digest('hex'),
  };
  if (buf.length <= 4096) out.data = isBinary ? buf.toString('hex') : buf.toString('utf8');
  return out;
}

function listen(server) {
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
}

if (scenario === 'silent') {
  const server = net.createServer((sock) => {
    emit({ ev: 'tcp' });
    sock.on('data', (d) => emit({ ev: 'data', len: d.length }));
    sock.on('error', () => {});
  });
  listen(server);
} else if (scenario === 'slowclose') {
  const serverFrame = (opcode, payload) => {
    if (payload.length >= 126) throw new Error('short frames only');
    return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
  };
  const server = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let code = 1006;
    sock.on('error', () => {});
    sock.on('close', () => emit({ ev: 'close', code }));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const key = (/^sec-websocket-key:[ \t]*(\S+)/im.exec(head) || [])[1] || '';
        const accept = crypto.createHash('sha1')
            .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' +
                   `Connection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        emit({ ev: 'upgrade', url: head.split(' ')[1] });
        buf = buf.subarray(end + 4);
        upgraded = true;
      }
      // Client frames: masked, short (< 126 bytes); only the close frame matters here.
      while (buf.length >= 6) {
        const opcode = buf[0] & 0x0f;
        const len = buf[1] & 0x7f;
        if (buf.length < 6 + len) return;
        const mask = buf.subarray(2, 6);
        const payload = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]));
        buf = buf.subarray(6 + len);
        if (opcode !== 0x8) continue;
        code = len >= 2 ? payload.readUInt16BE(0) : 1005;
        emit({ ev: 'client_close', code, reason: payload.subarray(2).toString('utf8') });
        setTimeout(() => {
          if (sock.destroyed) return;
          sock.end(serverFrame(0x8, payload));
          emit({ ev: 'sent_close' });
        }, options.delayMs || 100);
      }
    });
  });
  listen(server);
} else {
  const server = options.tls
      ? https.createServer({
        cert: fs.readFileSync(options.tls.cert),
        key: fs.readFileSync(options.tls.key),
      })
      : http.createServer();
  server.on('request', (req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain' });
    res.end('websocket only\n');
  });

  if (scenario === 'refuse') {
    server.on('upgrade', (req, socket) => {
      emit({ ev: 'upgrade', url: req.url, headers: req.rawHeaders, protocol: null, extensions: null });
      const body = Buffer.from(options.body || '');
      let head = `HTTP/1.1 ${options.status} ${http.STATUS_CODES[options.status] || 'Refused'}\r\n`;
      for (const [name, value] of options.headers || []) head += `${name}: ${value}\r\n`;
      head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      socket.on('error', () => {});
      socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
      emit({ ev: 'refused', status: options.status });
    });
  } else {
    const wss = new WebSocketServer({
      server,
      maxPayload: 256 * 1024 * 1024,
      perMessageDeflate: scenario === 'deflate' ? { threshold: 0 } : false,
      handleProtocols: (protocols) => {
        if (scenario === 'subprotocol' && protocols.has(options.pick)) return options.pick;
        return false;
      },
    });
    if (scenario === 'header') {
      wss.on('headers', (headers) => headers.push('X-Server-Id: s-42'));
    }
    wss.on('connection', (ws, req) => {
      emit({
        ev: 'upgrade',
        url: req.url,
        headers: req.rawHeaders,
        protocol: ws.protocol,
        extensions: ws.extensions,
      });
      let closing = false;
      ws.on('message', (data, isBinary) => {
        emit(describe(data, isBinary));
        if (closing) return;
        if (scenario === 'close') {
          closing = true;
          ws.close(options.code, options.reason);
        } else {
          ws.send(data, { binary: isBinary });
        }
      });
      ws.on('ping', (d) => emit({ ev: 'ping', data: d.toString('hex') }));
      ws.on('pong', (d) => {
        emit({ ev: 'pong', data: d.toString('hex') });
        if (scenario === 'ping') ws.close(1000, 'done');
      });
      ws.on('error', (e) => emit({ ev: 'error', message: e.message, code: e.code || null }));
      ws.on('close', (code, reason) => emit({ ev: 'close', code, reason: reason.toString() }));
      if (scenario === 'ping') ws.ping(Buffer.from(options.payload || ''));
    });
  }
  listen(server);
}

// The test kills this process when it is done; this only bounds a forgotten one.
setTimeout(() => process.exit(0), options.lifetimeMs || 120000).unref();
