// The ticket page keeps itself current: a live stream where the browser has one, a
// timed reload where it does not (the page also carries a refresh for no scripts).
// When the page turns to 快到您了 it chimes and vibrates once, where the phone allows
// (a phone may keep sound off until the page was touched: the words are there anyway).
(function () {
  var live = document.getElementById('live');
  var src = live && live.getAttribute('data-src');
  if (!src) return;
  var told = !!live.querySelector('[data-nearly-up]');
  function nearlyUp() {
    if (told || !live.querySelector('[data-nearly-up]')) return;
    told = true;
    document.body.setAttribute('data-told', 'nearly-up');
    try { if (navigator.vibrate) navigator.vibrate([300, 150, 300]); } catch (e) {}
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      var ctx = new Ctx();
      [0, 0.35].forEach(function (at, i) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = i ? 660 : 880;
        g.gain.setValueAtTime(0.3, ctx.currentTime + at);
        g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.3);
        o.connect(g); g.connect(ctx.destination);
        o.start(ctx.currentTime + at); o.stop(ctx.currentTime + at + 0.3);
      });
    } catch (e) {}
  }
  if (!window.EventSource) {
    setTimeout(function () { location.reload(); }, 15000);
    return;
  }
  var es = new EventSource(src);
  es.addEventListener('update', function (e) {
    if (live.innerHTML !== e.data) live.innerHTML = e.data;
    nearlyUp();
  });
  es.addEventListener('final', function () {
    es.close();
    location.reload();
  });
})();
