// The ticket page keeps itself current: a live stream where the browser has one, a
// timed reload where it does not (the page also carries a refresh for no scripts).
(function () {
  var live = document.getElementById('live');
  var src = live && live.getAttribute('data-src');
  if (!src) return;
  if (!window.EventSource) {
    setTimeout(function () { location.reload(); }, 15000);
    return;
  }
  var es = new EventSource(src);
  es.addEventListener('update', function (e) {
    if (live.innerHTML !== e.data) live.innerHTML = e.data;
  });
  es.addEventListener('final', function () {
    es.close();
    location.reload();
  });
})();
