// The rating pad: the buttons leave after their time; a new 办结 at this window (or the
// end of an offer) reloads the page, which the server draws.
(function () {
  var m = document.querySelector('main.pad');
  if (!m) return;
  var w = m.getAttribute('data-window'), offer = m.getAttribute('data-offer');
  var o = document.querySelector('section.offer');
  var hold = o && o.getAttribute('data-hold') === '1';
  if (o) {
    var secs = parseInt(o.getAttribute('data-seconds') || '30', 10);
    setTimeout(function () {
      if (hold) { location.href = '/pad/' + w; return; }
      o.hidden = true;
      var i = document.querySelector('section.idle');
      if (i) i.hidden = false;
    }, secs * 1000);
  }
  if (hold) return;
  if (!window.EventSource) {
    setTimeout(function () { location.reload(); }, 5000);
    return;
  }
  var es = new EventSource('/pad/' + w + '/live');
  var leaving = false;
  // A tap is on its way: the answer page comes next, not a reload.
  document.addEventListener('submit', function () { leaving = true; es.close(); });
  es.addEventListener('offer', function (e) {
    if (!leaving && e.data !== offer) { es.close(); location.reload(); }
  });
})();
