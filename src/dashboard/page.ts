/**
 * The dashboard page: one self-contained HTML document (inline CSS and JS, nothing fetched
 * from elsewhere). It opens /dashboard/live and redraws on every snapshot; `?coupon=1,2`
 * shows only those coupons. Every number carries `data-field` so tests can read it.
 * The script is plain ES5-style JS in a string: no template literals, so no escaping here.
 */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:#f4f6f8;color:#1d2733}
header{display:flex;flex-wrap:wrap;align-items:center;gap:24px;padding:14px 24px;background:#1d2733;color:#fff}
header h1{font-size:18px;margin:0 16px 0 0;font-weight:600}
.stat{display:flex;flex-direction:column}
.stat .label{font-size:11px;text-transform:uppercase;letter-spacing:.05em;opacity:.7}
.stat .value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
#status{display:inline-flex;align-items:center;gap:6px;font-size:13px}
#status::before{content:"";width:10px;height:10px;border-radius:50%;background:#d9534f}
#status.live::before{background:#3fb950}
#error{display:none;margin:12px 24px 0;padding:8px 12px;border-radius:6px;background:#fdecea;color:#8a1f11}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:16px;padding:16px 24px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 16px}
.card h2{font-size:16px;margin:0;display:flex;justify-content:space-between;align-items:center;gap:8px}
.card h2 .name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.badge{font-size:11px;font-weight:600;padding:2px 8px;border-radius:10px;background:#e1f5e6;color:#1a7f37;text-transform:uppercase;flex:none}
.badge.sold-out{background:#fdecea;color:#b42318}.badge.expired,.badge.not-started{background:#eef0f3;color:#57606a}
.nums{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:12px 0 8px}
.num .label{font-size:11px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
.num .value{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.bar{position:relative;height:8px;background:#eef0f3;border-radius:4px;overflow:hidden;margin:4px 0}
.bar span{position:absolute;left:0;top:0;bottom:0;border-radius:4px}
.bar .admitted{background:#9ecbff}.bar .stored{background:#2f81f7}
.legend{font-size:11px;color:#57606a}
table{width:100%;border-collapse:collapse;margin-top:10px;font-variant-numeric:tabular-nums}
td{padding:3px 0;border-top:1px solid #eef0f3}td.n{text-align:right;font-weight:600}
.rate{display:flex;align-items:center;justify-content:space-between;margin-top:10px}
.rate .value{font-size:18px;font-weight:600}
svg.spark{width:180px;height:36px}
svg.spark polyline{fill:none;stroke:#2f81f7;stroke-width:1.5}
svg.spark polygon{fill:#2f81f7;opacity:.12}
#empty{padding:32px 24px;color:#57606a}
`;

const SCRIPT = `
(function () {
  'use strict';
  var REASONS = ['SOLD_OUT', 'ALREADY_ISSUED', 'NOT_STARTED', 'EXPIRED'];
  var params = new URLSearchParams(location.search);
  var pinned = (params.get('coupon') || params.get('coupons') || '').split(',').filter(function (s) { return /^[1-9][0-9]*$/.test(s); });
  var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/dashboard/live' + (pinned.length ? '?coupons=' + pinned.join(',') : '');
  var grid = document.getElementById('coupons');
  var cards = {};
  var retryMs = 500;

  function fmt(n) { return n === null || n === undefined ? '\\u2013' : Number(n).toLocaleString('en-US'); }
  function $(root, field) { return root.querySelector('[data-field="' + field + '"]'); }
  function set(root, field, value) { var el = $(root, field); var text = fmt(value); if (el.textContent !== text) el.textContent = text; }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }

  function spark(svg, values) {
    var w = 180, h = 36, max = 1, i;
    for (i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
    var step = values.length > 1 ? w / (values.length - 1) : w;
    var pts = [];
    for (i = 0; i < values.length; i++) pts.push((i * step).toFixed(1) + ',' + (h - 2 - (values[i] / max) * (h - 4)).toFixed(1));
    svg.querySelector('polyline').setAttribute('points', pts.join(' '));
    svg.querySelector('polygon').setAttribute('points', pts.length ? '0,' + h + ' ' + pts.join(' ') + ' ' + ((values.length - 1) * step).toFixed(1) + ',' + h : '');
    svg.setAttribute('data-max', String(max));
  }

  function card(c) {
    var el = document.createElement('section');
    el.className = 'card';
    el.setAttribute('data-coupon', String(c.couponId));
    var rows = REASONS.map(function (r) { return '<tr><td>' + r + '</td><td class="n" data-field="' + r + '"></td></tr>'; }).join('');
    el.innerHTML = '<h2><span class="name">#' + c.couponId + ' ' + esc(c.name) + '</span><span class="badge" data-field="state"></span></h2>' +
      '<div class="nums">' +
      '<div class="num"><div class="label">Stock</div><div class="value" data-field="stock"></div></div>' +
      '<div class="num"><div class="label">Admitted</div><div class="value" data-field="admitted"></div></div>' +
      '<div class="num"><div class="label">Stored</div><div class="value" data-field="stored"></div></div>' +
      '<div class="num"><div class="label">Remaining</div><div class="value" data-field="remaining"></div></div></div>' +
      '<div class="bar"><span class="admitted"></span><span class="stored"></span></div>' +
      '<div class="legend">light: admitted by the gate &middot; dark: stored in MySQL</div>' +
      '<table>' + rows + '<tr><td>rejected by the database</td><td class="n" data-field="dbRejected"></td></tr></table>' +
      '<div class="rate"><div><div class="legend">requests/s (peak <span data-field="peak"></span>)</div><div class="value" data-field="rps"></div></div>' +
      '<svg class="spark" viewBox="0 0 180 36" preserveAspectRatio="none"><polygon></polygon><polyline></polyline></svg></div>';
    return el;
  }

  function update(el, c) {
    var a = c.answers || {};
    var admitted = c.admitted;
    set(el, 'stock', c.stock);
    set(el, 'admitted', admitted);
    set(el, 'stored', c.stored);
    set(el, 'remaining', Math.max(0, c.stock - (admitted === null ? c.stored : admitted)));
    REASONS.forEach(function (r) { set(el, r, c.answers ? a[r] : null); });
    var db = 0, k;
    for (k in c.dbRejected) db += c.dbRejected[k];
    set(el, 'dbRejected', db);
    $(el, 'dbRejected').title = JSON.stringify(c.dbRejected);
    set(el, 'rps', c.requestsPerSecond);
    set(el, 'peak', Math.max.apply(null, [0].concat(c.history)));
    var badge = $(el, 'state');
    badge.textContent = c.state;
    badge.className = 'badge ' + c.state.replace(' ', '-');
    var pct = function (n) { return (c.stock > 0 ? Math.min(100, (100 * (n || 0)) / c.stock) : 0).toFixed(1) + '%'; };
    el.querySelector('.bar .admitted').style.width = pct(admitted);
    el.querySelector('.bar .stored').style.width = pct(c.stored);
    spark(el.querySelector('svg.spark'), c.history);
  }

  function render(s) {
    var shown = pinned.length ? s.coupons.filter(function (c) { return pinned.indexOf(String(c.couponId)) >= 0; }) : s.coupons;
    var seen = {};
    shown.forEach(function (c) {
      var el = cards[c.couponId];
      if (!el) { el = cards[c.couponId] = card(c); }
      grid.appendChild(el); // keeps the server's order (newest first)
      update(el, c);
      seen[c.couponId] = true;
    });
    Object.keys(cards).forEach(function (id) { if (!seen[id]) { cards[id].remove(); delete cards[id]; } });
    document.getElementById('empty').style.display = shown.length ? 'none' : 'block';
    set(document, 'total-rps', s.requestsPerSecond);
    spark(document.getElementById('total-spark'), s.history);
    var lag = s.lag || {};
    set(document, 'lag', lag.messages);
    $(document, 'lag').title = lag.error || (lag.partitions ? lag.partitions.map(function (p) { return 'partition ' + p.partition + ': ' + p.lag; }).join('\\n') : '');
    document.getElementById('lag-label').textContent = s.queue === 'redis' ? 'Redis queue backlog' : 'Kafka consumer lag';
    document.getElementById('updated').textContent = new Date(s.at).toLocaleTimeString('en-GB');
    document.getElementById('error').style.display = 'none';
  }

  function status(live, text) {
    var el = document.getElementById('status');
    el.className = live ? 'live' : '';
    el.textContent = text;
  }

  function connect() {
    var ws = new WebSocket(url);
    ws.onopen = function () { status(true, 'live'); retryMs = 500; };
    ws.onmessage = function (e) {
      var s = JSON.parse(e.data);
      if (s.error && !s.coupons) {
        var box = document.getElementById('error');
        box.textContent = 'Snapshot failed, numbers are stale: ' + s.error;
        box.style.display = 'block';
        return;
      }
      render(s);
    };
    ws.onclose = function () {
      status(false, 'reconnecting\\u2026');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }
  connect();
})();
`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flash-coupon live sale</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>flash-coupon &middot; live sale</h1>
  <div class="stat"><span class="label">requests/s</span><span class="value" data-field="total-rps">&ndash;</span></div>
  <svg id="total-spark" class="spark" viewBox="0 0 180 36" preserveAspectRatio="none"><polygon></polygon><polyline style="stroke:#9ecbff"></polyline></svg>
  <div class="stat"><span class="label" id="lag-label">consumer lag</span><span class="value" data-field="lag">&ndash;</span></div>
  <div class="stat"><span class="label">updated</span><span class="value" id="updated">&ndash;</span></div>
  <span id="status">connecting&hellip;</span>
</header>
<div id="error"></div>
<div id="empty">Waiting for the first snapshot&hellip;</div>
<main id="coupons"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
