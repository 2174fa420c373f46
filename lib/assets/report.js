/* pops eval report: filters and sorting. All data is in the HTML; this
   only reads the DOM (no data in scripts, no requests). */
(function () {
  'use strict';
  var controls = document.getElementById('controls');
  if (!controls) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll('.cases .case'));
  var status = document.getElementById('f-status');
  var text = document.getElementById('f-text');
  var suite = document.getElementById('f-suite');
  var sort = document.getElementById('f-sort');
  var shown = document.getElementById('f-shown');
  var texts = null;
  controls.hidden = false;

  function textOf(i) {
    if (!texts) texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    return texts[i];
  }
  function apply() {
    var st = status.value, q = text.value.trim().toLowerCase(), su = suite.value, n = 0;
    rows.forEach(function (r, i) {
      var ok = true;
      if (st === 'flip') ok = r.getAttribute('data-flip') === '1';
      else if (st) ok = (' ' + r.getAttribute('data-status') + ' ').indexOf(' ' + st + ' ') >= 0;
      if (ok && su) ok = r.getAttribute('data-suite') === su;
      if (ok && q) ok = textOf(i).indexOf(q) >= 0;
      r.hidden = !ok;
      if (ok) n++;
    });
    document.querySelectorAll('section.suite').forEach(function (s) {
      s.hidden = !!su && s.getAttribute('data-suite') !== su;
    });
    shown.textContent = n + ' of ' + rows.length + ' cases shown';
  }
  function num(r, k) {
    var v = parseFloat(r.getAttribute(k));
    return isNaN(v) ? -1 : v;
  }
  function resort() {
    var k = sort.value;
    document.querySelectorAll('.cases > .body').forEach(function (tb) {
      var rs = Array.prototype.slice.call(tb.children);
      rs.sort(function (a, b) {
        if (!k) return num(a, 'data-order') - num(b, 'data-order');
        return num(b, k) - num(a, k) || num(a, 'data-order') - num(b, 'data-order');
      });
      rs.forEach(function (r) { tb.appendChild(r); });
    });
  }
  var timer = null;
  status.addEventListener('change', apply);
  suite.addEventListener('change', apply);
  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 150);
  });
  sort.addEventListener('change', resort);
  function target() {
    var id = decodeURIComponent(location.hash.slice(1)), el;
    document.querySelectorAll('.case.target').forEach(function (r) { r.classList.remove('target'); });
    el = id && (document.getElementById(location.hash.slice(1)) || document.getElementById(id));
    if (el && el.classList.contains('case')) {
      if (el.hidden) { status.value = ''; text.value = ''; suite.value = ''; apply(); }
      el.classList.add('target');
      el.scrollIntoView({ block: 'center' });
    }
  }
  window.addEventListener('hashchange', target);
  shown.textContent = rows.length + ' cases';
  if (location.hash) target();
})();
