// Station administration: a chosen file (matters, holidays) is read into its text box
// (the browser reads it; the form then sends its text like any other field).
(function () {
  if (!window.FileReader) return;
  var inputs = document.querySelectorAll('input[type=file][data-into]');
  Array.prototype.forEach.call(inputs, function (f) {
    var t = document.getElementById(f.getAttribute('data-into'));
    if (!t) return;
    f.addEventListener('change', function () {
      if (!f.files || !f.files[0]) return;
      var r = new FileReader();
      r.onload = function () { t.value = r.result; };
      r.readAsText(f.files[0], 'utf-8');
    });
  });
})();
