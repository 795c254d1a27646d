// The desk's panel follows the queue live. A change never replaces the panel under a
// control being used (a list being chosen from); it waits until the control is left.
(function () {
  var p = document.getElementById('panel');
  var off = document.getElementById('offline');
  if (!p || !window.EventSource) return;
  var pending = null;
  function busy() {
    var a = document.activeElement;
    return a && p.contains(a) && (a.tagName === 'SELECT' || a.tagName === 'INPUT' || a.tagName === 'TEXTAREA');
  }
  function apply(html) {
    if (busy()) { pending = html; return; }
    pending = null;
    if (p.innerHTML !== html) p.innerHTML = html;
  }
  p.addEventListener('focusout', function () {
    setTimeout(function () { if (pending !== null) apply(pending); }, 0);
  });
  var es = new EventSource(p.getAttribute('data-src'));
  es.addEventListener('panel', function (e) { if (off) off.hidden = true; apply(e.data); });
  es.addEventListener('signed-out', function () { es.close(); location.href = '/desk'; });
  // Another tab of this sign-in changed window: show the window the desk now holds.
  es.addEventListener('reload', function () { es.close(); location.href = '/desk'; });
  es.onerror = function () { if (off) off.hidden = false; };
})();
