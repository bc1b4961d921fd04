// Loads a timeline file in headless Chromium through the DevTools protocol and prints one JSON
// line: {"frames": N marks (.frame elements), "ready": data-wsr-ready or null,
// "errors": [console errors and uncaught exceptions], "parsererrors": N, "detail": text of the
// payload panel after clicking the first mark (HTML only), "zoomed": marks still present
// after a wheel zoom, "violations": marks outlined as RFC 6455 violations, "controls": marks of
// control frames (k-ws-*), "statuses": refused/failed connection labels, "violation_tip":
// the tooltip of the first violation (HTML only), "exchanges": HTTP exchange spans (.xchg in
// HTML, g.exchange in SVG), "exchanges_seen": those a user can point at (the span, its start
// bar or its label has a box of at least half a pixel, scrolled into view, and is what the page hit-tests at
// that point: drawn, on the page, not covered), "exchange_tip"/"exchange_detail": the tooltip
// and the detail panel after hovering the first exchange's label and clicking the second's
// (HTML only)}.
// Usage: node browser_check.js CHROMIUM FILE. Exit 0 when the page could be inspected, 3 otherwise.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const WebSocket = require('ws');

const [chromiumPath, file] = process.argv.slice(2);
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-chromium-'));
const chrome = spawn(chromiumPath, [
  // A narrow window (a laptop with a terminal beside it, 700 px): the plot, at least 530 px wide
  // (labels + 200 px of time axis), scrolls sideways rather than losing its right end.
  '--headless', '--window-size=700,700', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
  '--remote-debugging-port=0', '--user-data-dir=' + userDir, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });

let finished = false;
function finish(code, out) {
  if (finished) return;
  finished = true;
  if (out) process.stdout.write(JSON.stringify(out) + '\n');
  try { chrome.kill('SIGKILL'); } catch (e) { /* already gone */ }
  chrome.once('exit', () => {
    try { fs.rmSync(userDir, { recursive: true, force: true }); } catch (e) { /* best effort */ }
    process.exit(code);
  });
  setTimeout(() => process.exit(code), 5000).unref();
}
const timer = setTimeout(() => {
  process.stderr.write('browser_check: timed out\n');
  finish(3);
}, 120000);
chrome.on('error', (e) => { process.stderr.write('cannot start chromium: ' + e.message + '\n'); finish(3); });

let stderrText = '';
chrome.stderr.on('data', (chunk) => {
  stderrText += chunk.toString();
  const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderrText);
  if (m && !started) {
    run(m[1]).catch((e) => { process.stderr.write('browser_check: ' + e.stack + '\n'); finish(3); });
  }
});
let started = false;

async function run(url) {
  if (started) return;
  started = true;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  let nextId = 1;
  const waiting = new Map();
  const listeners = [];
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString());
    if (msg.id && waiting.has(msg.id)) {
      const { res, rej } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) rej(new Error(JSON.stringify(msg.error))); else res(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  });
  const send = (method, params = {}, sessionId) => new Promise((res, rej) => {
    const id = nextId++;
    waiting.set(id, { res, rej });
    ws.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }));
  });

  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const errors = [];
  let loaded = false;
  listeners.push((msg) => {
    if (msg.sessionId !== sessionId) return;
    const p = msg.params || {};
    if (msg.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails || {};
      errors.push('exception: ' + (d.exception && d.exception.description || d.text));
    } else if (msg.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
      errors.push('console.' + p.type + ': ' + (p.args || []).map((a) => a.value || a.description).join(' '));
    } else if (msg.method === 'Log.entryAdded' && p.entry && p.entry.level === 'error') {
      errors.push('log: ' + p.entry.text + (p.entry.url ? ' (' + p.entry.url + ')' : ''));
    } else if (msg.method === 'Page.loadEventFired') {
      loaded = true;
    }
  });
  await send('Runtime.enable', {}, sessionId);
  await send('Log.enable', {}, sessionId);
  await send('Page.enable', {}, sessionId);
  const t0 = Date.now();
  await send('Page.navigate', { url: 'file://' + path.resolve(file) }, sessionId);
  const evaluate = async (expr) => {
    const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true }, sessionId);
    return r.result ? r.result.value : undefined;
  };
  const deadline = Date.now() + 90000;
  while (!loaded && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!loaded) throw new Error('page did not load');
  // HTML pages draw after parsing; wait for the ready flag (SVG has none).
  const isHtml = await evaluate('document.documentElement.nodeName.toLowerCase() === "html"');
  let ready = null;
  while (isHtml && Date.now() < deadline) {
    ready = await evaluate('document.documentElement.getAttribute("data-wsr-ready")');
    if (ready !== null || errors.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tReady = Date.now() - t0;
  const out = {
    ms_to_ready: tReady,
    frames: await evaluate('document.querySelectorAll(".frame").length'),
    ready,
    parsererrors: await evaluate('document.getElementsByTagName("parsererror").length'),
    pwned: await evaluate('typeof window.__pwned !== "undefined"'),
    detail: null,
    zoomed: null,
    violations: await evaluate('document.querySelectorAll(".frame.violation").length'),
    controls: await evaluate('document.querySelectorAll(".frame[class*=k-ws-]").length'),
    statuses: await evaluate('document.querySelectorAll(".conn-status").length'),
    violation_tip: null,
    exchanges: await evaluate('document.querySelectorAll(".xchg, g.exchange").length'),
    exchanges_seen: await evaluate(`(() => {
      let n = 0;
      document.querySelectorAll('.xchg, g.exchange').forEach((x) => {
        const group = x.matches('g.exchange') ? x : null;
        const targets = group ? [group.querySelector('rect'), group.querySelector('text')]
            : [x].concat(Array.from(document.querySelectorAll(
                  '.xchg-start[data-x="' + x.getAttribute('data-x') + '"], ' +
                  '.xchg-label[data-x="' + x.getAttribute('data-x') + '"]')));
        const seen = targets.some((el) => {
          if (!el) return false;
          el.scrollIntoView({block: 'center', inline: 'center'});
          const r = el.getBoundingClientRect();
          if (!(r.width > 0.5 && r.height > 0.5)) return false;  // also display: none
          const at = document.elementFromPoint(r.left + Math.min(r.width / 2, 5), r.top + r.height / 2);
          return at === el || (group !== null && group.contains(at));
        });
        if (seen) ++n;
      });
      window.scrollTo(0, 0);
      return n;
    })()`),
    exchange_tip: null,
    exchange_detail: null,
  };
  if (isHtml && out.exchanges > 0) {
    out.exchange_tip = await evaluate(`(() => {
      const x = document.querySelector('.xchg-label');
      x.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
      return document.getElementById('tip').textContent;
    })()`);
    out.exchange_detail = await evaluate(`(() => {
      const x = document.querySelectorAll('.xchg')[1] || document.querySelector('.xchg');
      document.getElementById('detail-head').textContent = '';
      x.dispatchEvent(new MouseEvent('click', {bubbles: true}));
      return document.getElementById('detail-head').textContent + '\\n' +
          document.getElementById('detail-body').textContent;
    })()`);
  }
  if (isHtml && out.frames > 0) {
    out.detail = await evaluate(`(() => {
      const f = document.querySelector('.frame');
      f.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
      f.dispatchEvent(new MouseEvent('click', {bubbles: true}));
      return document.getElementById('detail-body').textContent;
    })()`);
    out.violation_tip = await evaluate(`(() => {
      const f = document.querySelector('.frame.violation');
      if (!f) return null;
      f.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
      return document.getElementById('tip').textContent;
    })()`);
    out.zoomed = await evaluate(`(() => {
      const svg = document.getElementById('plot');
      const r = svg.getBoundingClientRect();
      svg.dispatchEvent(new WheelEvent('wheel', {bubbles: true, cancelable: true, deltaY: -500,
                                                 clientX: r.left + 600, clientY: r.top + 40}));
      document.getElementById('zfit').click();
      return document.querySelectorAll('.frame').length;
    })()`);
  }
  out.ms_total = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 100));  // let late console errors arrive
  out.errors = errors;
  clearTimeout(timer);
  ws.close();
  finish(0, out);
}
