// Station administration: a chosen matters file is read into the text box (the browser
// reads it; the form then sends its text like any other field).
(function () {
  var f = document.getElementById('matters-file'), t = document.getElementById('matters-source');
  if (!f || !t || !window.FileReader) return;
  f.addEventListener('change', function () {
    if (!f.files || !f.files[0]) return;
    var r = new FileReader();
    r.onload = function () { t.value = r.result; };
    r.readAsText(f.files[0], 'utf-8');
  });
})();
