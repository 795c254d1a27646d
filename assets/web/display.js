// The calling display. The server sends its whole state on connect and on every change;
// every call not seen yet is shown in the banner in call order, a few seconds each, so
// two calls close together are both seen, and a reconnect loses none.
(function () {
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  var offset = 0, zone = 0, seen = null, queue = [], showing = false;
  // The server's words in the display's language (Chinese until the first message).
  var words = { lang: 'zh-CN', paused: '暂停服务', window: '{} 号窗口', nobody: '现在没有人等候', people: '{} 人' };
  function fill(t, v) { return t.replace('{}', v); }
  var DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function two(n) { return n < 10 ? '0' + n : '' + n; }
  function clock() {
    // The station's local time, whatever the TV's own zone.
    var d = new Date(Date.now() + offset + zone * 60000);
    var day = words.lang === 'en'
      ? DAYS[d.getUTCDay()] + ' ' + d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()]
      : (d.getUTCMonth() + 1) + '月' + d.getUTCDate() + '日 星期' + '日一二三四五六'.charAt(d.getUTCDay());
    $('clock').textContent = day + '  ' + two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds());
  }
  setInterval(clock, 1000);
  function banner(text, blink) {
    var b = $('banner');
    b.innerHTML = '';
    b.appendChild(el('span', 'call', text));
    b.className = blink ? 'banner blink' : 'banner';
  }
  function showNext() {
    if (!queue.length) { showing = false; $('banner').className = 'banner'; return; }
    showing = true;
    banner(queue.shift().text, true);
    setTimeout(showNext, queue.length ? 4000 : 6000);
  }
  function render(msg) {
    offset = msg.now - Date.now();
    zone = msg.tz || 0;
    if (msg.words) words = msg.words;
    var s = msg.state;
    var w = $('windows');
    w.innerHTML = '';
    s.windows.forEach(function (x) {
      var d = el('div', 'win win-' + x.state);
      d.appendChild(el('div', 'wname', x.name));
      d.appendChild(el('div', 'wnum', x.serving || (x.state === 'paused' ? words.paused : '—')));
      if (x.state === 'paused' && x.pause_reason) d.appendChild(el('div', 'wwhy', x.pause_reason));
      w.appendChild(d);
    });
    var calls = $('calls');
    calls.innerHTML = '';
    (s.recent || s.calls).forEach(function (c) { calls.appendChild(el('li', null, c.number + ' → ' + fill(words.window, c.window))); });
    var wt = $('waiting');
    wt.innerHTML = '';
    if (!s.waiting.length) wt.appendChild(el('li', null, words.nobody));
    s.waiting.forEach(function (x) { wt.appendChild(el('li', null, x.name + '　' + fill(words.people, x.count))); });
    var hints = $('hints');
    hints.innerHTML = '';
    s.hints.forEach(function (h) { hints.appendChild(el('span', null, h)); });
    // The town's notice first (a joined station's), then the station's closed notice.
    $('notice').textContent = [s.town_notice, s.notice].filter(function (x) { return x; }).join('　');
    var newest = s.calls.length ? s.calls[0].id : 0;
    if (seen === null) {
      seen = newest;
      if (s.calls.length) banner(s.calls[0].text, false);
    } else {
      var fresh = s.calls.filter(function (c) { return c.id > seen; }).reverse();
      if (fresh.length) {
        seen = newest;
        queue = queue.concat(fresh);
        if (!showing) showNext();
      }
    }
    clock();
  }
  if (!window.EventSource) return;
  var es = new EventSource('/display/live');
  es.addEventListener('state', function (e) {
    $('offline').hidden = true;
    try { render(JSON.parse(e.data)); } catch (x) { /* keep the last good picture */ }
  });
  es.onerror = function () { $('offline').hidden = false; };
})();
