#include "tools/timeline_html.h"

#include <nlohmann/json.hpp>

#include "tools/timeline_text.h"

namespace wsr::tools {
namespace {

nlohmann::json ModelJson(const TimelineModel& m) {
  using nlohmann::json;
  json kinds = json::array();
  for (int k = 0; k < kMarkKindCount; ++k) {
    auto kind = static_cast<MarkKind>(k);
    kinds.push_back({{"name", MarkKindName(kind)},
                     {"label", MarkKindLabel(kind)},
                     {"color", MarkKindColor(kind)},
                     {"shape", MarkKindShape(kind)}});
  }
  json lanes = json::array();
  for (const auto& l : m.lanes) {
    lanes.push_back({{"conn", l.conn_ordinal},
                     {"topic", l.topic},
                     {"label", l.label},
                     {"is_connection", l.is_connection},
                     {"is_http", l.is_http}});
  }
  json conns = json::array();
  for (const auto& c : m.connections) {
    conns.push_back({{"lane", c.lane},
                     {"ordinal", c.ordinal},
                     {"path", RepairUtf8(c.path)},
                     {"http_status", c.http_status ? json(*c.http_status) : json()},
                     {"error", RepairUtf8(c.error)},
                     {"opened_ns", c.opened_ns},
                     {"closed_ns", c.closed_ns ? json(*c.closed_ns) : json()},
                     {"close_code", c.close_code ? json(*c.close_code) : json()},
                     {"close_reason", c.close_reason},
                     {"close_initiator", c.close_initiator},
                     {"status_label", c.status_label}});
  }
  json frames = json::array();
  for (const auto& mk : m.marks) {
    frames.push_back(json::array({mk.lane, mk.offset_ns, mk.conn_ordinal, mk.seq,
                                  mk.direction == cassette::Direction::kClientToServer ? 0 : 1,
                                  static_cast<int>(mk.kind), mk.topic, mk.event, mk.payload,
                                  mk.truncated ? 1 : 0, mk.size, mk.flags, mk.note}));
  }
  json exchanges = json::array();
  for (const auto& x : m.exchanges) {
    exchanges.push_back({{"lane", x.lane},
                         {"ordinal", x.ordinal},
                         {"http_connection", x.http_connection},
                         {"method", x.method},
                         {"target", x.target},
                         {"status", x.status ? json(*x.status) : json()},
                         {"color", StatusClassColor(StatusClass(x.status))},
                         {"request_ns", x.request_ns},
                         {"response_ns", x.response_ns ? json(*x.response_ns) : json()},
                         {"label", x.label},
                         {"request_body", x.request_body},
                         {"response_body", x.response_body},
                         {"truncated", x.truncated},
                         {"error", x.error}});
  }
  return {{"session",
           {{"name", RepairUtf8(m.session.name)},
            {"started_at_ns", m.session.started_at_ns},
            {"upstream", RepairUtf8(m.session.upstream)}}},
          {"end_ns", m.end_ns},
          {"kinds", kinds},
          {"lanes", lanes},
          {"connections", conns},
          {"frames", frames},
          {"exchanges", exchanges}};
}

constexpr const char* kCss = R"CSS(
body{margin:0;font:12px sans-serif;color:#222;background:#fff}
header{padding:6px 10px;border-bottom:1px solid #ddd}
header h1{font-size:14px;margin:0 0 4px 0}
.legend span{display:inline-block;margin-right:12px;white-space:nowrap}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.legend svg{vertical-align:middle}
.controls button{margin-right:4px}
#wrap{display:flex;height:calc(100vh - 92px)}
#plotbox{flex:1;overflow:auto;position:relative}
#plot{display:block;width:100%;min-width:530px;cursor:grab;user-select:none}
#detail{width:34%;min-width:260px;border-left:1px solid #ddd;overflow:auto;padding:6px 10px}
#detail pre{white-space:pre-wrap;word-break:break-all;font:11px monospace}
#tip{position:fixed;pointer-events:none;background:#fffbe6;border:1px solid #bbb;padding:4px 6px;
 font:11px monospace;max-width:520px;white-space:pre-wrap;word-break:break-all;display:none;z-index:9}
.frame{stroke-width:5px;vector-effect:non-scaling-stroke}.frame:hover,.frame.sel{stroke-width:9px}
.vout{stroke:#e00000;stroke-width:10px;vector-effect:non-scaling-stroke;pointer-events:none}
.frame.ctl{stroke:#333;stroke-width:0.5px}.frame.ctl:hover,.frame.ctl.sel{stroke-width:2px}
.frame.ctl.violation{stroke:#e00000;stroke-width:2px}
.conn-status{fill:#e00000;font-weight:bold}
.lane-label{fill:#222}.conn-label{font-weight:bold}.tick{stroke:#e2e2e2}
.xchg{stroke:#000;stroke-width:0.5px;vector-effect:non-scaling-stroke;cursor:pointer}
.xchg:hover,.xchg.sel{stroke-width:2px}.xchg-start{cursor:pointer}
.xchg-label{fill:#333;cursor:pointer}
)CSS";

constexpr const char* kJs = R"JS(
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var LABEL_W = 300, LANE_H = 24, AXIS_H = 28, PAD_R = 30;
  var data = JSON.parse(document.getElementById('wsr-data').textContent);
  var svg = document.getElementById('plot');
  var tip = document.getElementById('tip');
  var detail = document.getElementById('detail-body');
  var endNs = Math.max(1, data.end_ns);
  var FIT = {t0: -endNs * 0.01, t1: endNs * 1.06};  // margins keep edge marks and close labels visible
  var view = {t0: FIT.t0, t1: FIT.t1};
  var height = AXIS_H + Math.max(1, data.lanes.length) * LANE_H + 12;
  svg.setAttribute('height', height);

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function laneY(i) { return AXIS_H + i * LANE_H + LANE_H / 2; }
  function plotW() { return Math.max(200, (svg.clientWidth || 1200) - LABEL_W - PAD_R); }
  function xOf(t) { return LABEL_W + (t - view.t0) / (view.t1 - view.t0) * plotW(); }
  function tOf(x) { return view.t0 + (x - LABEL_W) / plotW() * (view.t1 - view.t0); }
  function fmt(ns) {
    var a = Math.abs(ns);
    if (a === 0) return '0';
    if (a >= 1e9) return +(ns / 1e9).toPrecision(4) + ' s';
    if (a >= 1e6) return +(ns / 1e6).toPrecision(4) + ' ms';
    if (a >= 1e3) return +(ns / 1e3).toPrecision(4) + ' us';
    return ns + ' ns';
  }
  function niceStep(span, maxTicks) {
    var step = 1;
    for (;;) {
      var ms = [1, 2, 5];
      for (var i = 0; i < 3; i++) if (span / (step * ms[i]) < maxTicks) return step * ms[i];
      step *= 10;
    }
  }

  // Static layers.
  var defs = el('defs', {}, svg);
  var clip = el('clipPath', {id: 'plotclip'}, defs);
  var clipRect = el('rect', {x: LABEL_W - 6, y: 0, width: 100, height: height}, clip);
  var laneBg = el('g', {'class': 'lane-bg'}, svg);
  var grid = el('g', {'class': 'axis'}, svg);
  var plotG = el('g', {'clip-path': 'url(#plotclip)'}, svg);
  var connG = el('g', {'class': 'connections'}, plotG);
  var framesG = el('g', {'class': 'frames'}, plotG);
  var xchgG = el('g', {'class': 'exchanges'}, plotG);
  var labelsG = el('g', {'class': 'labels'}, svg);
  data.lanes.forEach(function (l, i) {
    var y = laneY(i);
    if (l.is_connection) el('rect', {x: 0, y: y - LANE_H / 2, width: '100%', height: LANE_H, fill: '#f3f6fa'}, laneBg);
    el('line', {'class': 'lane-line', x1: LABEL_W, y1: y, x2: '100%', y2: y, stroke: '#ccc'}, laneBg);
    el('rect', {x: 0, y: y - LANE_H / 2 + 1, width: LABEL_W - 8, height: LANE_H - 2, fill: l.is_connection ? '#f3f6fa' : '#fff'}, labelsG);
    var t = el('text', {'class': 'lane-label' + (l.is_connection ? ' conn-label' : ''), x: l.is_connection ? 6 : 18, y: y + 4}, labelsG);
    t.textContent = l.label.length > 46 ? l.label.slice(0, 43) + '...' : l.label;
    el('title', {}, t).textContent = l.label;
  });

  // Marks live in one group scaled along x: zooming changes one transform, not 10,000.
  // Base x unit: pixels at "fit" zoom for a nominal 1000 px plot (BASE_W).
  var BASE_W = 1000;
  function baseX(t) { return t / endNs * BASE_W; }
  var zoomG = el('g', {'class': 'zoom'}, plotG);
  connG.parentNode.removeChild(connG);
  framesG.parentNode.removeChild(framesG);
  zoomG.appendChild(connG);
  zoomG.appendChild(framesG);
  xchgG.parentNode.removeChild(xchgG);
  zoomG.appendChild(xchgG);
  var closeG = el('g', {'class': 'closes'}, plotG);
  var xchgLabelG = el('g', {'class': 'exchange-labels'}, plotG);

  // HTTP exchanges: a span from request start to response end, coloured by status class, with
  // a 3 px bar at the start that keeps a short exchange visible, and its label right of it. The
  // bar and the label take hover and click too (a 1 ms span is far below a pixel in a long
  // session); layout() hides a label that would cover the one before it on its lane.
  var xchgRects = [];
  var xchgLabels = (data.exchanges || []).map(function (x, i) {
    var y = laneY(x.lane);
    var x0 = baseX(x.request_ns), x1 = baseX(x.response_ns !== null ? x.response_ns : x.request_ns);
    var r = el('rect', {'class': 'xchg', x: x0, width: Math.max(x1 - x0, 0.001), y: y - 6, height: 12,
                        fill: x.color, 'data-x': i, 'data-ordinal': x.ordinal, 'data-method': x.method,
                        'data-status': x.status !== null ? x.status : ''}, xchgG);
    xchgRects.push(r);
    var bar = el('rect', {'class': 'xchg-start', x: -1.5, y: -6, width: 3, height: 12, fill: x.color,
                          'data-x': i}, xchgLabelG);
    var t = el('text', {'class': 'xchg-label', x: 0, y: 4, 'data-x': i}, xchgLabelG);
    t.textContent = x.label.length > 60 ? x.label.slice(0, 57) + '...' : x.label;
    return {bar: bar, el: t, t0: x.request_ns, t: x.response_ns !== null ? x.response_ns : x.request_ns,
            y: y, lane: x.lane, w: null};
  });

  var connEls = data.connections.map(function (c) {
    var x0 = baseX(c.opened_ns), x1 = baseX(c.closed_ns !== null ? c.closed_ns : endNs);
    var span = el('rect', {'class': 'conn-span', x: x0, width: Math.max(x1 - x0, 0.001),
                           y: laneY(c.lane) - 4, height: 8,
                           fill: c.status_label ? '#f2b8b8' : '#9fb7d4'}, connG);
    var info = 'connection ' + c.ordinal + ' ' + c.path + ' opened +' + fmt(c.opened_ns) +
        (c.http_status !== null ? ' http ' + c.http_status : '') + (c.error ? ' error: ' + c.error : '');
    el('title', {}, span).textContent = info;
    var close = null;
    var endAt = c.closed_ns !== null ? c.closed_ns : c.opened_ns;
    if (c.status_label) {  // refused or failed: its status, right of the span
      var st = el('text', {'class': 'conn-status', x: 4, y: 4, 'data-conn': c.ordinal}, null);
      st.textContent = c.status_label;
      el('title', {}, st).textContent = info;
    }
    if (c.closed_ns !== null || c.status_label) {
      close = el('g', {'class': c.closed_ns !== null ? 'conn-close' : 'conn-open', 'data-conn': c.ordinal}, closeG);
      if (st) close.appendChild(st);
    }
    if (c.closed_ns !== null) {
      el('line', {x1: 0, y1: -10, x2: 0, y2: 10, stroke: '#d62728', 'stroke-width': 2}, close);
      el('text', {x: 4, y: 4, fill: '#d62728'}, close).textContent = c.close_code !== null ? String(c.close_code) : c.status_label ? '' : 'closed';
      el('title', {}, close).textContent = 'close ' + (c.close_code !== null ? c.close_code : '?') +
          (c.close_initiator ? ' by ' + c.close_initiator : '') + (c.close_reason ? ' "' + c.close_reason + '"' : '') +
          ' at +' + fmt(c.closed_ns);
    }
    return {c: c, close: close, at: endAt};
  });

  // A data frame's mark is a short vertical bar (non-scaling stroke, so zoom keeps it 5 px
  // wide): above the lane line for client-to-server, below it for server-to-client; colour =
  // kind. Control frames (ping/pong circles, close diamonds) sit in an unscaled group, moved by
  // layout(). A frame that broke RFC 6455 gets a red outline.
  var SHAPES = {
    circle: ['M-4,-5a4,4 0 1,0 8,0a4,4 0 1,0 -8,0Z', 'M-4,5a4,4 0 1,0 8,0a4,4 0 1,0 -8,0Z'],
    diamond: ['M0,-11L5,-6L0,-1L-5,-6Z', 'M0,11L5,6L0,1L-5,6Z']
  };
  var ctlG = el('g', {'class': 'controls'}, plotG);
  var ctlMarks = [];
  var marks = new Array(data.frames.length);
  var frag = document.createDocumentFragment();
  data.frames.forEach(function (f, i) {
    var kind = data.kinds[f[5]];
    var x = baseX(f[1]).toFixed(4), y = laneY(f[0]);
    var violation = (f[11] & 2) !== 0;
    var p;
    if (kind.shape !== 'bar') {
      p = document.createElementNS(NS, 'path');
      p.setAttribute('class', 'frame ctl k-' + kind.name + (violation ? ' violation' : ''));
      p.setAttribute('d', SHAPES[kind.shape][f[4] === 0 ? 0 : 1]);
      p.setAttribute('fill', kind.color);
      ctlMarks.push({el: p, t: f[1], y: y});
    } else {
      p = document.createElementNS(NS, 'line');
      p.setAttribute('class', 'frame k-' + kind.name + (violation ? ' violation' : ''));
      p.setAttribute('x1', x);
      p.setAttribute('x2', x);
      p.setAttribute('y1', f[4] === 0 ? y - 10 : y + 1);
      p.setAttribute('y2', f[4] === 0 ? y - 1 : y + 10);
      p.setAttribute('stroke', kind.color);
      if (violation) {  // the outline: a wider red bar behind the mark
        var o = p.cloneNode(false);
        o.setAttribute('class', 'vout');
        o.removeAttribute('stroke');
        frag.appendChild(o);
      }
    }
    p.setAttribute('data-i', i);
    p.setAttribute('data-conn', f[2]);
    p.setAttribute('data-seq', f[3]);
    p.setAttribute('data-dir', f[4] === 0 ? 'c2s' : 's2c');
    p.setAttribute('data-kind', kind.name);
    p.setAttribute('data-event', f[7]);
    if (kind.shape !== 'bar') ctlG.appendChild(p); else frag.appendChild(p);
    marks[i] = p;
  });
  framesG.appendChild(frag);

  function layout() {
    var w = plotW();
    clipRect.setAttribute('width', w + 12);
    while (grid.firstChild) grid.removeChild(grid.firstChild);
    var span = view.t1 - view.t0;
    var step = niceStep(span, Math.max(2, Math.floor(w / 110)));
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = xOf(t);
      el('line', {'class': 'tick', x1: x, y1: AXIS_H - 8, x2: x, y2: height}, grid);
      el('text', {x: x, y: AXIS_H - 12, 'text-anchor': 'middle'}, grid).textContent = fmt(t);
    }
    var k = w / BASE_W * endNs / span;
    zoomG.setAttribute('transform', 'translate(' + (LABEL_W - baseX(view.t0) * k) + ',0) scale(' + k + ',1)');
    connEls.forEach(function (ce) {
      if (ce.close) ce.close.setAttribute('transform', 'translate(' + xOf(ce.at) + ',' + laneY(ce.c.lane) + ')');
    });
    ctlMarks.forEach(function (m) {
      m.el.setAttribute('transform', 'translate(' + xOf(m.t).toFixed(2) + ',' + m.y + ')');
    });
    var laneRight = {};  // lane -> right end of its last shown exchange label
    xchgLabels.forEach(function (m) {
      m.bar.setAttribute('transform', 'translate(' + xOf(m.t0).toFixed(2) + ',' + m.y + ')');
      var lx = xOf(m.t) + 6;
      m.el.setAttribute('transform', 'translate(' + lx.toFixed(2) + ',' + m.y + ')');
      var show = !(m.lane in laneRight) || lx >= laneRight[m.lane];
      m.el.style.display = show ? '' : 'none';
      if (!show) return;
      if (m.w === null) m.w = m.el.getComputedTextLength();
      laneRight[m.lane] = lx + m.w + 8;
    });
  }

  function setView(t0, t1) {
    var span = Math.max(endNs / 1e5, Math.min(t1 - t0, endNs * 1.5));
    var mid = (t0 + t1) / 2;
    t0 = mid - span / 2;
    if (t0 < -endNs * 0.25) t0 = -endNs * 0.25;
    if (t0 + span > endNs * 1.25) t0 = endNs * 1.25 - span;
    view.t0 = t0; view.t1 = t0 + span;
    layout();
  }
  function zoom(factor, atX) {
    var t = tOf(atX);
    setView(t - (t - view.t0) * factor, t + (view.t1 - t) * factor);
  }
  svg.addEventListener('wheel', function (e) {
    if (e.shiftKey) return;
    e.preventDefault();
    var r = svg.getBoundingClientRect();
    zoom(Math.exp(e.deltaY * 0.0015), e.clientX - r.left);
  }, {passive: false});
  var drag = null;
  svg.addEventListener('mousedown', function (e) { drag = {x: e.clientX, t0: view.t0, t1: view.t1}; svg.style.cursor = 'grabbing'; });
  window.addEventListener('mouseup', function () { drag = null; svg.style.cursor = ''; });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var dt = (e.clientX - drag.x) / plotW() * (drag.t1 - drag.t0);
    setView(drag.t0 - dt, drag.t1 - dt);
  });
  document.getElementById('zin').onclick = function () { zoom(0.5, LABEL_W + plotW() / 2); };
  document.getElementById('zout').onclick = function () { zoom(2, LABEL_W + plotW() / 2); };
  document.getElementById('zfit').onclick = function () { setView(FIT.t0, FIT.t1); };
  window.addEventListener('resize', layout);

  function header(f) {
    var kind = data.kinds[f[5]];
    return 'conn ' + f[2] + ' #' + f[3] + ' +' + fmt(f[1]) + ' ' + (f[4] === 0 ? 'c2s' : 's2c') + ' ' +
        (kind.shape !== 'bar' ? kind.label : f[6] ? f[6] + ' ' + f[7] : '(raw)') + ' (' + f[10] + ' bytes)' +
        (f[11] & 1 ? ' [compressed]' : '') + (f[11] & 2 ? '\nviolation: ' + (f[12] || '(no note)') : '');
  }
  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (err) { return text; }
  }
  function xchgHeader(x) {
    return 'HTTP #' + x.ordinal + ' (connection ' + x.http_connection + ') +' + fmt(x.request_ns) + ' ' +
        x.method + ' ' + x.target + ' -> ' + (x.status !== null ? x.status : 'no response') +
        (x.response_ns !== null ? ' in ' + fmt(x.response_ns - x.request_ns) : '') +
        (x.error ? '\nerror: ' + x.error : '');
  }
  function xchgBodies(x) {
    return (x.request_body ? 'request body:\n' + pretty(x.request_body) + '\n\n' : '') +
        (x.response_body ? 'response body:\n' + pretty(x.response_body) : '');
  }
  // The exchange index of a span or its label, -1 for anything else.
  function xchgIndex(t) {
    var c = t.classList;
    return c && (c.contains('xchg') || c.contains('xchg-start') || c.contains('xchg-label'))
        ? +t.getAttribute('data-x') : -1;
  }
  var selected = null;
  svg.addEventListener('mouseover', function (e) {
    var t = e.target;
    if (xchgIndex(t) >= 0) {
      var x = data.exchanges[xchgIndex(t)];
      var b = xchgBodies(x);
      tip.textContent = xchgHeader(x) + '\n' + (b.length > 400 ? b.slice(0, 400) + '...' : b);
      tip.style.display = 'block';
      return;
    }
    if (!t.classList || !t.classList.contains('frame')) return;
    var f = data.frames[+t.getAttribute('data-i')];
    tip.textContent = header(f) + '\n' + (f[8].length > 400 ? f[8].slice(0, 400) + '...' : f[8]);
    tip.style.display = 'block';
  });
  svg.addEventListener('mousemove', function (e) {
    tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 540) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
  });
  svg.addEventListener('mouseout', function (e) {
    var c = e.target.classList;
    if (c && (c.contains('frame') || xchgIndex(e.target) >= 0)) tip.style.display = 'none';
  });
  svg.addEventListener('click', function (e) {
    var t = e.target;
    if (xchgIndex(t) >= 0) {  // body on click
      var x = data.exchanges[xchgIndex(t)];
      if (selected) selected.classList.remove('sel');
      selected = xchgRects[xchgIndex(t)];
      selected.classList.add('sel');
      document.getElementById('detail-head').textContent = xchgHeader(x) + (x.truncated ? ' [body truncated]' : '');
      detail.textContent = xchgBodies(x);
      return;
    }
    if (!t.classList || !t.classList.contains('frame')) return;
    if (selected) selected.classList.remove('sel');
    selected = t;
    t.classList.add('sel');
    var f = data.frames[+t.getAttribute('data-i')];
    document.getElementById('detail-head').textContent = header(f) + (f[9] ? ' [payload truncated]' : '');
    detail.textContent = pretty(f[8]);
  });

  var legend = document.getElementById('legend');
  data.kinds.forEach(function (k) {
    var s = document.createElement('span');
    var sw = el('svg', {width: 12, height: 12, 'class': 'swatch'}, s);
    if (k.shape === 'circle') el('circle', {cx: 6, cy: 6, r: 5, fill: k.color, stroke: '#333', 'stroke-width': 0.5}, sw);
    else if (k.shape === 'diamond') el('path', {d: 'M6,0L12,6L6,12L0,6Z', fill: k.color, stroke: '#333', 'stroke-width': 0.5}, sw);
    else el('rect', {x: 1, y: 1, width: 10, height: 10, fill: k.color}, sw);
    s.appendChild(document.createTextNode(' ' + k.label));
    legend.appendChild(s);
  });
  document.getElementById('summary').textContent = 'session ' + data.session.name + ': ' +
      data.frames.length + ' frames, ' + data.connections.length + ' connections, ' +
      (data.exchanges || []).length + ' HTTP exchanges, ' + fmt(endNs) +
      '. Wheel to zoom, drag to pan, hover or click a mark for its payload (an HTTP exchange for its bodies).';
  layout();
  document.documentElement.setAttribute('data-wsr-ready', String(marks.length));
})();
)JS";

}  // namespace

void RenderTimelineHtml(const TimelineModel& m, std::ostream& out) {
  std::string json = ModelJson(m).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>wsreplay timeline: " << XmlEscape(m.session.name) << "</title>\n"
      << "<style>" << kCss << "</style>\n</head>\n<body>\n"
      << "<header><h1>wsreplay timeline</h1><div id=\"summary\"></div>"
      << "<div class=\"legend\" id=\"legend\">"
      << "<span><svg width=\"14\" height=\"22\"><line x1=\"2\" x2=\"12\" y1=\"11\" y2=\"11\" "
         "stroke=\"#999\"/><line x1=\"7\" x2=\"7\" y1=\"1\" y2=\"10\" stroke=\"#666\" "
         "stroke-width=\"5\"/></svg> above the lane line: client to server</span>"
      << "<span><svg width=\"14\" height=\"22\"><line x1=\"2\" x2=\"12\" y1=\"11\" y2=\"11\" "
         "stroke=\"#999\"/><line x1=\"7\" x2=\"7\" y1=\"12\" y2=\"21\" stroke=\"#666\" "
         "stroke-width=\"5\"/></svg> below: server to client</span>"
      << "<span><i style=\"background:#d62728;width:2px\"></i>WebSocket close (code)</span>"
      << "<span><i style=\"background:#666;outline:2px solid #e00000;width:4px\"></i>red "
         "outline: broke RFC 6455 (note in the tooltip)</span>"
      << "<span><i style=\"background:#f2b8b8;width:16px;height:8px\"></i>refused/failed "
         "connection (status)</span>"
      << "<span><i style=\"background:#3a9d5d;width:16px;height:8px\"></i>HTTP exchange, "
         "request to response (4xx orange, 5xx/none red)</span>"
      << "</div><div class=\"controls\"><button id=\"zin\">zoom in</button>"
         "<button id=\"zout\">zoom out</button><button id=\"zfit\">fit</button></div></header>\n"
      << "<div id=\"wrap\"><div id=\"plotbox\"><svg id=\"plot\" "
         "xmlns=\"http://www.w3.org/2000/svg\""
         " font-family=\"sans-serif\" font-size=\"11\"></svg></div>\n"
      << "<div id=\"detail\"><b id=\"detail-head\">Click a frame to see its payload.</b>"
         "<pre id=\"detail-body\"></pre></div></div>\n<div id=\"tip\"></div>\n"
      << "<script type=\"application/json\" id=\"wsr-data\">" << ScriptSafeJson(json)
      << "</script>\n<script>" << kJs << "</script>\n</body>\n</html>\n";
}

}  // namespace wsr::tools
