#include "replay/live_page.h"

#include <nlohmann/json.hpp>

#include "tools/timeline_model.h"
#include "tools/timeline_text.h"

namespace wsr::replay {
namespace {

constexpr const char* kCss = R"CSS(
body{margin:0;font:13px sans-serif;color:#222;background:#fff}
header{padding:8px 12px;border-bottom:1px solid #ddd;background:#fafbfc}
h1{font-size:15px;margin:0 0 6px 0}h2{font-size:13px;margin:10px 0 4px 0}
#clock{font:13px monospace;margin-bottom:6px}
#clock b{font-family:sans-serif}
.controls{display:flex;flex-wrap:wrap;align-items:center;gap:6px}
.controls button{font-size:13px;padding:4px 10px;cursor:pointer}
.controls input{width:70px;font-size:13px}
.controls .group{border:1px solid #ddd;border-radius:4px;padding:3px 6px;background:#fff}
#live-state{margin-left:auto;font-size:12px}
#live-state.ok{color:#2e9d3a}#live-state.down{color:#d62728}
#msg{min-height:18px;margin-top:6px;font-size:12px}
#msg.err{color:#b00000;font-weight:bold}#msg.ok{color:#2e6b2e}
.legend span{display:inline-block;margin-right:12px;white-space:nowrap;font-size:11px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
#wrap{display:flex;height:calc(100vh - 150px);min-height:300px}
#plotbox{flex:1;overflow:auto;position:relative}
#plot{display:block;width:100%}
#empty{position:absolute;top:40px;left:20px;color:#666;max-width:560px}
#side{width:34%;min-width:280px;border-left:1px solid #ddd;overflow:auto;padding:0 10px 10px 10px}
#detail-body{white-space:pre-wrap;word-break:break-all;font:11px monospace;background:#f7f7f7;
 padding:4px;max-height:40vh;overflow:auto}
#pending li,#mismatches li,#faults li,#breaks li,#hits li{margin-bottom:4px;font-size:12px}
#mismatches li{color:#b00000;cursor:pointer}
#http-held li,#http-served li,#http-abandoned li,#http-mismatches li{margin-bottom:4px;font-size:12px}
#http-held li,#pending li.http-held{color:#b35900}#http-abandoned li,#http-mismatches li{color:#b00000}
.frame{stroke-width:5px;cursor:pointer}.frame:hover,.frame.sel{stroke-width:9px}
.frame.pending{stroke-dasharray:2,2;stroke-opacity:0.55}
.frame.mismatch{stroke:#e00000 !important;stroke-width:7px}
.frame.lit{animation:lit 1.6s ease-out 1}
@keyframes lit{0%{stroke:#ffd400;stroke-width:14px}100%{stroke-width:5px}}
.next-mark{fill:#ff8c1a}.next-label{fill:#b35900;font-size:11px}
.playhead{stroke:#ff8c1a;stroke-width:1px;stroke-dasharray:3,3}
.lane-label{fill:#222}.conn-label{font-weight:bold}.tick{stroke:#e8e8e8}
.closed-label{fill:#d62728;font-size:11px}
form{margin:4px 0}form input{width:55%}
.hint{color:#666;font-size:11px}
)CSS";

constexpr const char* kJs = R"JS(
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var LABEL_W = 300, LANE_H = 26, AXIS_H = 28, PAD_R = 40, MAX_MARKS = 5000;
  var kinds = JSON.parse(document.getElementById('wsr-kinds').textContent);
  var svg = document.getElementById('plot');
  var $ = function (id) { return document.getElementById(id); };

  // ---- state ----
  var conns = {};        // conn -> {conn, path, mode, recorded, how, topics: {topic: lane}, head}
  var lanes = [];        // [{conn, topic, label, is_connection}]
  var marks = [];        // [{el, lane key, t (ms), dir, f (event)}]
  var pendingEls = [];
  var endMs = 1000;      // right edge of the axis (grows)
  var lastId = 0, litCount = 0, status = null;
  var frameLayer, overlayLayer, laneLayer, axisLayer;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined) return '?';
    var a = Math.abs(ms);
    if (a === 0) return '0';
    if (a >= 1000) return +(ms / 1000).toPrecision(4) + ' s';
    if (a >= 1) return +ms.toPrecision(4) + ' ms';
    return +(ms * 1000).toPrecision(3) + ' us';
  }
  function plotW() { return Math.max(200, (svg.clientWidth || 1000) - LABEL_W - PAD_R); }
  function xOf(t) { return LABEL_W + t / endMs * plotW(); }
  function laneY(i) { return AXIS_H + i * LANE_H + LANE_H / 2; }
  function laneKey(conn, topic) { return conn + '\u0000' + (topic === null ? '' : topic); }
  var laneIndex = {};

  function ensureConn(c) {
    if (!conns[c]) {
      conns[c] = {conn: c, path: '', mode: '', recorded: 0, how: '', head: 0};
      lanes.push({conn: c, topic: null, label: 'connection ' + c, is_connection: true});
      reindex();
    }
    return conns[c];
  }
  function ensureLane(c, topic) {
    ensureConn(c);
    var key = laneKey(c, topic);
    if (laneIndex[key] !== undefined) return laneIndex[key];
    var at = 0;
    for (var i = 0; i < lanes.length; i++) if (lanes[i].conn <= c) at = i + 1;
    lanes.splice(at, 0, {conn: c, topic: topic, label: topic === '' ? '(raw)' : topic, is_connection: false});
    reindex();
    return laneIndex[key];
  }
  function reindex() {
    laneIndex = {};
    lanes.forEach(function (l, i) { laneIndex[laneKey(l.conn, l.is_connection ? null : l.topic)] = i; });
    layoutDirty = true;
  }

  // ---- drawing (same marks as `wsreplay timeline`: a short bar per data frame, above the
  // lane line for client-to-server, below for server-to-client, coloured by kind) ----
  var layoutDirty = true, renderQueued = false;
  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(function () { renderQueued = false; render(); });
  }
  function placeMark(m) {
    var y = laneY(laneIndex[m.key]);
    var x = xOf(m.t).toFixed(2);
    m.el.setAttribute('x1', x);
    m.el.setAttribute('x2', x);
    m.el.setAttribute('y1', m.dir === 'c2s' ? y - 11 : y + 1);
    m.el.setAttribute('y2', m.dir === 'c2s' ? y - 1 : y + 11);
  }
  function render() {
    var height = AXIS_H + Math.max(1, lanes.length) * LANE_H + 14;
    svg.setAttribute('height', height);
    $('empty').style.display = lanes.length ? 'none' : 'block';
    if (layoutDirty) {
      layoutDirty = false;
      while (laneLayer.firstChild) laneLayer.removeChild(laneLayer.firstChild);
      while (axisLayer.firstChild) axisLayer.removeChild(axisLayer.firstChild);
      var w = plotW();
      var step = niceStep(endMs, Math.max(2, Math.floor(w / 110)));
      for (var t = 0; t <= endMs; t += step) {
        el('line', {'class': 'tick', x1: xOf(t), y1: AXIS_H - 8, x2: xOf(t), y2: height}, axisLayer);
        el('text', {x: xOf(t), y: AXIS_H - 12, 'text-anchor': 'middle', 'font-size': 11}, axisLayer).textContent = fmtMs(t);
      }
      el('text', {x: 6, y: AXIS_H - 12, 'font-size': 11, fill: '#666'}, axisLayer).textContent = 'recorded time since the connection opened';
      lanes.forEach(function (l, i) {
        var y = laneY(i);
        if (l.is_connection) el('rect', {x: 0, y: y - LANE_H / 2, width: '100%', height: LANE_H, fill: '#f3f6fa'}, laneLayer);
        el('line', {x1: LABEL_W, y1: y, x2: '100%', y2: y, stroke: '#ccc'}, laneLayer);
        var c = conns[l.conn];
        var label = l.is_connection ? 'connection ' + l.conn + ' ' + c.path + (c.mode ? ' [' + c.mode + ']' : '') : l.label;
        var tx = el('text', {'class': 'lane-label' + (l.is_connection ? ' conn-label' : ''), x: l.is_connection ? 6 : 18, y: y + 4}, laneLayer);
        tx.textContent = label.length > 46 ? label.slice(0, 43) + '...' : label;
        el('title', {}, tx).textContent = label + (l.is_connection && c.recorded ? ' (served by recorded connection ' + c.recorded + ')' : '');
        if (l.is_connection && c.how) {
          el('text', {'class': 'closed-label', x: LABEL_W + 4, y: y - 3}, laneLayer).textContent = c.how;
        }
      });
      marks.forEach(placeMark);
    }
    drawOverlay();
    document.documentElement.setAttribute('data-wsr-lit', String(litCount));
  }
  function niceStep(span, maxTicks) {
    var step = 1e-3;
    for (;;) {
      var ms = [1, 2, 5];
      for (var i = 0; i < 3; i++) if (span / (step * ms[i]) < maxTicks) return step * ms[i];
      step *= 10;
    }
  }
  function grow(t) {
    if (t === null || t === undefined || t < endMs * 0.97) return;
    while (endMs * 0.97 <= t) endMs *= 2;
    layoutDirty = true;
  }

  function addMark(f) {
    var c = ensureConn(f.conn);
    var topic = f.topic === null ? '' : f.topic;
    var t = f.rec_ms !== null ? f.rec_ms : c.head;
    if (f.dir === 's2c' && f.rec_ms !== null && f.rec_ms > c.head) c.head = f.rec_ms;
    ensureLane(f.conn, topic);
    var kind = kinds[f.kind] || kinds[0];
    var line = document.createElementNS(NS, 'line');
    var cls = 'frame k-' + kind.name + (f.mismatch ? ' mismatch' : '') + (f.dir === 's2c' ? ' lit' : '');
    line.setAttribute('class', cls);
    line.setAttribute('stroke', f.mismatch ? '#e00000' : kind.color);
    line.setAttribute('data-conn', f.conn);
    line.setAttribute('data-seq', f.seq === null ? '' : f.seq);
    line.setAttribute('data-dir', f.dir);
    line.setAttribute('data-kind', kind.name);
    line.setAttribute('data-event', f.event === null ? '' : f.event);
    el('title', {}, line).textContent = header(f);
    var m = {el: line, key: laneKey(f.conn, topic), t: t, dir: f.dir, f: f};
    line.addEventListener('click', function () { select(m); });
    frameLayer.appendChild(line);
    marks.push(m);
    if (marks.length > MAX_MARKS) {
      var old = marks.shift();
      if (old.el.parentNode) old.el.parentNode.removeChild(old.el);
    }
    grow(t);
    if (!layoutDirty) placeMark(m);
    if (f.dir === 's2c') litCount++;
    if (f.mismatch) addMismatch(m);
  }
  function header(f) {
    return 'connection ' + f.conn + (f.seq !== null ? ' seq ' + f.seq : '') +
        (f.rec_ms !== null ? ' at +' + fmtMs(f.rec_ms) : '') + ' ' +
        (f.dir === 'c2s' ? 'client \u2192 server' : 'server \u2192 client') + ' ' +
        (f.topic !== null ? f.topic + ' ' + f.event : '(raw)') + ' (' + f.size + ' bytes)' +
        (f.mismatch ? '\nNOT IN THE CASSETTE: ' + f.mismatch : '');
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (err) { return text; }
  }
  var selected = null;
  function select(m) {
    if (selected && selected.el) selected.el.classList.remove('sel');
    selected = m;
    if (m.el) m.el.classList.add('sel');
    var f = m.f;
    if (f.pending) {
      $('detail-head').textContent = 'pending: connection ' + f.conn + ' seq ' + f.seq + ' at +' +
          fmtMs(f.offset_ms) + ' ' + f.frame;
      $('detail-body').textContent = 'not sent yet; waits for ' + f.waits_for;
      return;
    }
    $('detail-head').textContent = header(f) + (f.truncated ? ' [payload truncated]' : '');
    $('detail-body').textContent = pretty(f.payload);
  }
  function addMismatch(m) {
    var li = document.createElement('li');
    li.textContent = 'connection ' + m.f.conn + ': ' + m.f.payload.slice(0, 120) + ' \u2014 ' + m.f.mismatch;
    li.addEventListener('click', function () { select(m); });
    $('mismatches').appendChild(li);
    $('mismatch-none').style.display = 'none';
  }

  // Pending frames (from GET status) and the overlay: dashed marks, "next" arrows, playheads.
  function drawOverlay() {
    while (overlayLayer.firstChild) overlayLayer.removeChild(overlayLayer.firstChild);
    pendingEls = [];
    var list = $('pending');
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!status) return;
    var any = false;
    (status.connections || []).forEach(function (c) {
      var info = ensureConn(c.connection);
      info.mode = c.mode || info.mode;
      var ci = laneIndex[laneKey(c.connection, null)];
      if (ci !== undefined && info.head > 0) {
        el('line', {'class': 'playhead', x1: xOf(info.head), x2: xOf(info.head), y1: laneY(ci) - 10, y2: laneY(ci) + 10}, overlayLayer);
      }
      (c.pending || []).forEach(function (p, i) {
        var topic = p.topic !== undefined ? p.topic : '';
        var key = laneKey(c.connection, topic);
        if (laneIndex[key] === undefined) { ensureLane(c.connection, topic); layoutDirty = true; queueRender(); }
        var y = laneY(laneIndex[key]);
        grow(p.offset_ms);
        var x = xOf(p.offset_ms);
        var kind = kinds[p.kind !== undefined ? p.kind : 7] || kinds[7];
        var line = el('line', {'class': 'frame pending' + (i === 0 ? ' next' : ''), x1: x, x2: x, y1: y + 1, y2: y + 11,
                               stroke: kind.color, 'data-conn': c.connection, 'data-seq': p.seq, 'data-dir': 's2c'}, overlayLayer);
        var pf = {pending: true, conn: c.connection, seq: p.seq, offset_ms: p.offset_ms, frame: p.frame, waits_for: p.waits_for};
        el('title', {}, line).textContent = 'pending seq ' + p.seq + ' ' + p.frame + '\nwaits for ' + p.waits_for;
        line.addEventListener('click', function () { select({el: line, f: pf}); });
        if (i === 0) {
          el('path', {'class': 'next-mark', d: 'M' + (x - 5) + ',' + (y + 22) + 'L' + (x + 5) + ',' + (y + 22) + 'L' + x + ',' + (y + 13) + 'Z'}, overlayLayer);
          var lbl = el('text', {'class': 'next-label', x: x + 8, y: y + 22}, overlayLayer);
          lbl.textContent = 'next: ' + p.waits_for;
        }
        if (i < 3) {
          var li = document.createElement('li');
          li.textContent = 'connection ' + c.connection + ' seq ' + p.seq + ' ' + p.frame + ' \u2014 waits for ' + p.waits_for;
          list.appendChild(li);
          any = true;
        }
      });
    });
    var http = status.http || {};
    (Array.isArray(http.pending) ? http.pending : []).slice(0, 3).forEach(function (p) {
      var li = document.createElement('li');
      li.className = 'http-held';
      li.textContent = 'HTTP response #' + p.exchange + ' to ' + p.request + ' \u2014 waits for ' + p.waits_for;
      list.appendChild(li);
      any = true;
    });
    if (!any) {
      var li = document.createElement('li');
      li.textContent = status.connections && status.connections.length ? 'nothing pending' : 'no client connected yet';
      list.appendChild(li);
    }
    drawHttp(http);
    hooks.drawDebugMarkers(status, overlayLayer);
  }

  // The REST half (status.http): held responses with what each waits for, the last exchanges
  // served (newest first), responses whose client left while they were held, and requests
  // the cassette has no answer for.
  function drawHttp(h) {
    $('http-summary').textContent = (h.recorded || 0) + ' recorded, ' + (h.answered || 0) + ' answered, ' +
        (h.held_count || 0) + ' held, ' + (h.abandoned_count || 0) + ' abandoned by their client, ' +
        (h.mismatch_count || 0) + ' not in the cassette';
    fillList('http-held', h.pending, function (p) {
      return 'held #' + p.exchange + ' ' + p.request + ' \u2014 waits for ' + p.waits_for;
    });
    fillList('http-served', h.recent, function (line) { return 'served ' + line; });
    fillList('http-abandoned', h.abandoned, function (line) { return line; });
    fillList('http-mismatches', h.mismatches, function (m) {
      return m.request + ' \u2014 ' + m.explanation + ' (' + m.action + ')';
    });
  }

  // ---- FAULTS AND BREAKPOINTS ----
  // status.faults (fault_stage.h): {faults: [{spec, fired}], breakpoints: [spec], hits: [{id,
  // spec, breakpoint, connection, at_ms, before, effect, next_connection, ...}]}. This hook
  // lists them and marks each hit on its connection's lane where that connection's playhead
  // was when the page first saw the hit (F: fault, B: breakpoint); replace
  // window.wsreplayLive.drawDebugMarkers to draw them differently.
  var hitAt = {};
  var hooks = window.wsreplayLive = {
    drawDebugMarkers: function (st, layer) {
      var f = st.faults && typeof st.faults === 'object' ? st.faults : {};
      fillList('faults', f.faults, function (x) {
        return 'fault ' + x.spec + (x.fired ? ' (fired)' : ' (not fired yet)');
      });
      fillList('breaks', f.breakpoints, function (b) { return 'breakpoint ' + b; });
      fillList('hits', f.hits, function (h) {
        return (h.breakpoint ? 'breakpoint ' : 'fault ') + h.spec + ' hit on connection ' + h.connection +
            ' at +' + fmtMs(h.at_ms) + (h.before ? ' before ' + h.before : '') + ': ' + h.effect +
            (h.next_connection ? '; the client came back as connection ' + h.next_connection +
             (h.reconnect_after_ms !== null && h.reconnect_after_ms !== undefined ? ' after ' + fmtMs(h.reconnect_after_ms) : '') : '');
      });
      (Array.isArray(f.hits) ? f.hits : []).forEach(function (h) {
        var info = conns[h.connection];
        var ci = laneIndex[laneKey(h.connection, null)];
        if (!info || ci === undefined) return;
        if (hitAt[h.id] === undefined) hitAt[h.id] = info.head;
        var g = el('g', {'class': 'fault-mark', transform: 'translate(' + xOf(hitAt[h.id]) + ',' + laneY(ci) + ')'}, layer);
        el('circle', {r: 8, fill: h.breakpoint ? '#d62728' : '#8e44ad'}, g);
        el('text', {x: 0, y: 4, 'text-anchor': 'middle', fill: '#fff', 'font-size': 11, 'font-weight': 'bold'}, g)
            .textContent = h.breakpoint ? 'B' : 'F';
        el('title', {}, g).textContent = (h.breakpoint ? 'breakpoint ' : 'fault ') + h.spec + ': ' + h.effect;
      });
    },
    status: function () { return status; },
    post: post
  };
  function fillList(id, items, text) {
    var ul = $(id);
    while (ul.firstChild) ul.removeChild(ul.firstChild);
    (Array.isArray(items) ? items : []).forEach(function (it) {
      var li = document.createElement('li');
      li.textContent = text(it);
      ul.appendChild(li);
    });
  }

  // ---- status and controls ----
  var statusTimer = null, statusBusy = false, statusAgain = false;
  function refreshSoon() {
    if (statusTimer) return;
    statusTimer = setTimeout(function () { statusTimer = null; refresh(); }, 120);
  }
  function refresh() {
    if (statusBusy) { statusAgain = true; return; }
    statusBusy = true;
    fetch('/__wsreplay/status', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (st) {
      status = st;
      showClock(st);
      queueRender();
      document.documentElement.setAttribute('data-wsr-live', 'ready');
    }).catch(function () { /* the server stopped: the live indicator says so */ }).then(function () {
      statusBusy = false;
      if (statusAgain) { statusAgain = false; refreshSoon(); }
    });
  }
  function showClock(st) {
    var c = st.clock || {};
    var open = (st.connections || []).length;
    $('clock').textContent = '';
    var parts = [['clock', (c.kind === 'manual' ? 'manual' : 'real') + ' ' + fmtMs(c.now_ms || 0)],
                 ['state', c.paused ? 'PAUSED' : 'running'], ['speed', c.speed],
                 ['connections', open + ' open, ' + (st.closed_connections || []).length + ' closed'],
                 ['delivered', st.delivered], ['mismatches', st.mismatches]];
    parts.forEach(function (p) {
      var b = document.createElement('b');
      b.textContent = p[0] + ': ';
      $('clock').appendChild(b);
      $('clock').appendChild(document.createTextNode(p[1] + '   '));
    });
    $('pause').disabled = !!c.paused;
    $('resume').disabled = !c.paused;
  }
  function say(text, ok) {
    var m = $('msg');
    m.className = ok ? 'ok' : 'err';
    m.textContent = text;
  }
  // POST to the control endpoint; shows its error text (400/404/405/403) when refused.
  function post(path, done) {
    return fetch(path, {method: 'POST'}).then(function (r) {
      return r.text().then(function (text) {
        var j = null;
        try { j = JSON.parse(text); } catch (e) { /* not JSON */ }
        if (!r.ok) {
          say('HTTP ' + r.status + ' from ' + path.split('?')[0] + ': ' + (j && j.error ? j.error : text), false);
          return null;
        }
        if (done) done(j); else say('ok: ' + path.replace('/__wsreplay/', ''), true);
        refresh();
        return j;
      });
    }).catch(function (e) { say('request failed: ' + e, false); return null; });
  }
  $('pause').onclick = function () { post('/__wsreplay/pause', function () { say('paused: nothing goes out until Resume or Step', true); }); };
  $('resume').onclick = function () { post('/__wsreplay/resume', function () { say('resumed', true); }); };
  $('step').onclick = function () {
    post('/__wsreplay/step', function (j) {
      if (j && j.stepped) say('stepped: released one frame', true);
      else say('nothing could go: see "Next pending" for what the next frame waits for', false);
    });
  };
  $('advance').onclick = function () {
    var ms = $('advms').value.trim();
    if (!/^\d+$/.test(ms)) { say('Advance needs a whole number of milliseconds', false); return; }
    post('/__wsreplay/advance?ms=' + ms, function () { say('advanced the clock by ' + ms + ' ms', true); });
  };
  $('setspeed').onclick = function () {
    var x = $('speed').value.trim();
    post('/__wsreplay/speed?x=' + encodeURIComponent(x), function (j) { say('speed is now ' + (j && j.speed), true); });
  };
  $('fault-form').onsubmit = function (e) {
    e.preventDefault();
    var spec = $('fault-spec').value.trim();
    if (!spec) { say('type a fault spec first, e.g. close:1012@frame:3', false); return; }
    post('/__wsreplay/fault?spec=' + encodeURIComponent(spec), function () { say('fault added: ' + spec, true); });
  };
  $('break-form').onsubmit = function (e) {
    e.preventDefault();
    var spec = $('break-spec').value.trim();
    if (!spec) { say('type a breakpoint first, e.g. event:message_created', false); return; }
    post('/__wsreplay/break?spec=' + encodeURIComponent(spec), function () { say('breakpoint added: ' + spec, true); });
  };

  // ---- the event stream ----
  function handle(ev) {
    if (ev.type === 'lost') {
      say(ev.count + ' events were dropped because this page fell behind (the replay never waits for it)', false);
      return;
    }
    if (ev.id <= lastId) return;  // replayed after a reconnect
    lastId = ev.id;
    if (ev.type === 'open') {
      var c = ensureConn(ev.conn);
      c.path = ev.path; c.mode = ev.mode; c.recorded = ev.recorded;
      layoutDirty = true;
    } else if (ev.type === 'close') {
      ensureConn(ev.conn).how = ev.how;
      layoutDirty = true;
    } else if (ev.type === 'frame') {
      addMark(ev);
    }
    queueRender();
    refreshSoon();
  }
  function connect() {
    var es = new EventSource('/__wsreplay/events');
    es.onopen = function () { $('live-state').textContent = '\u25cf live'; $('live-state').className = 'ok'; refresh(); };
    es.onmessage = function (m) {
      try { handle(JSON.parse(m.data)); } catch (e) { say('bad event: ' + e, false); }
    };
    es.onerror = function () {
      $('live-state').textContent = '\u25cf not connected (replay server stopped?)';
      $('live-state').className = 'down';
    };
  }

  // ---- start ----
  laneLayer = el('g', {'class': 'lanes'}, svg);
  axisLayer = el('g', {'class': 'axis'}, svg);
  frameLayer = el('g', {'class': 'frames'}, svg);
  overlayLayer = el('g', {'class': 'overlay'}, svg);
  var legend = $('legend');
  kinds.forEach(function (k) {
    if (k.shape !== 'bar') return;
    var s = document.createElement('span');
    var i = document.createElement('i');
    i.style.background = k.color;
    s.appendChild(i);
    s.appendChild(document.createTextNode(k.label));
    legend.appendChild(s);
  });
  window.addEventListener('resize', function () { layoutDirty = true; queueRender(); });
  connect();
  refresh();
  setInterval(refresh, 1000);
  render();
})();
)JS";

}  // namespace

std::string LivePageHtml(const std::string& session_name) {
  using nlohmann::json;
  json kinds = json::array();
  for (int k = 0; k < tools::kMarkKindCount; ++k) {
    auto kind = static_cast<tools::MarkKind>(k);
    kinds.push_back({{"name", tools::MarkKindName(kind)},
                     {"label", tools::MarkKindLabel(kind)},
                     {"color", tools::MarkKindColor(kind)},
                     {"shape", tools::MarkKindShape(kind)}});
  }
  std::string name = tools::XmlEscape(tools::RepairUtf8(session_name));
  std::string out;
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>wsreplay "
      "live: ";
  out += name;
  out += "</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>";
  out += kCss;
  out += R"HTML(</style>
</head>
<body>
<header>
<h1>wsreplay live: session )HTML";
  out += name;
  out += R"HTML(</h1>
<div id="clock">connecting...</div>
<div class="controls">
 <button id="pause" title="Freeze recorded time: nothing more goes out until Resume or Step">Pause</button>
 <button id="resume" title="Let recorded time run again">Resume</button>
 <button id="step" title="Release exactly one frame: the next pending one">Step one frame</button>
 <span class="group"><label>Advance by <input id="advms" type="number" min="0" value="1000"> ms</label>
  <button id="advance" title="Move the clock forward: every frame due by then goes out">Advance</button></span>
 <span class="group"><label>Speed <input id="speed" value="1" title="1 = recorded gaps, 10 = ten times faster, 0.5 = slower, max = as fast as order allows"></label>
  <button id="setspeed">Set speed</button></span>
 <span id="live-state">connecting...</span>
</div>
<div id="msg" role="status"></div>
<div class="legend" id="legend"><span>bars above a lane line: client &#8594; server; below: server &#8594; client; flashing: just sent; dashed: pending (&#9650; next); red: not in the cassette.</span></div>
</header>
<div id="wrap">
<div id="plotbox"><svg id="plot" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11"></svg>
<p id="empty">No client has connected yet. Point your client at this server's WebSocket URL (the <code>listening on ws://...</code> line); its connections, topics and frames appear here as they are replayed.</p></div>
<aside id="side">
<h2>Frame</h2><b id="detail-head">Click a frame to see its payload.</b><pre id="detail-body"></pre>
<h2>Next pending</h2><ol id="pending"></ol>
<h2>HTTP exchanges</h2><p id="http-summary" class="hint">no HTTP request yet</p>
<ol id="http-held"></ol><ol id="http-served"></ol><ol id="http-abandoned"></ol><ol id="http-mismatches"></ol>
<h2>Client frames not in the cassette</h2><p id="mismatch-none" class="hint">none so far</p><ol id="mismatches"></ol>
<!-- FAULTS AND BREAKPOINTS: these forms call POST /__wsreplay/fault?spec=SPEC and
     POST /__wsreplay/break?spec=SPEC; the lists are filled by window.wsreplayLive.drawDebugMarkers
     from status.faults (faults, breakpoints, hits). -->
<section id="debug-tools"><h2>Faults and breakpoints</h2>
<form id="fault-form"><label>Add a fault <input id="fault-spec" placeholder="close:1012@frame:3"></label> <button>Add fault</button></form>
<p class="hint">ACTION@TRIGGER: close:CODE, drop, delay:500ms, skip, duplicate, stall, refuse:429 @ frame:N, event:NAME, time:2s, connect:N</p>
<form id="break-form"><label>Add a breakpoint <input id="break-spec" placeholder="event:message_created"></label> <button>Add breakpoint</button></form>
<p class="hint">event:NAME[:TOPIC-PREFIX], frame:N, time:D or mismatch: the clock pauses just before that frame</p>
<ul id="faults"></ul><ul id="breaks"></ul><ul id="hits"></ul>
</section>
</aside>
</div>
<script type="application/json" id="wsr-kinds">)HTML";
  out += tools::ScriptSafeJson(kinds.dump());
  out += "</script>\n<script>";
  out += kJs;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace wsr::replay
