"""Static style sheet and script of the viewer (``visectalks view``).

Kept apart from the page code so that the pages stay plain markup: the script only toggles
classes and copies a highlight's title into the details panel (``textContent``, never HTML).
"""
from __future__ import annotations

# Background colours for entity types, taken in inventory order (cycled if the inventory grows).
TYPE_COLOURS = ("#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#e4c1f9", "#d0f4de", "#f1c0e8")
# Underline colours for stance polarities, in inventory order.
POLARITY_COLOURS = ("#1a7f37", "#cf222e", "#6e7781")

BASE_CSS = """
body { font: 16px/1.7 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { border-bottom: 1px solid #d0d7de; padding-bottom: .5rem; }
h1 { font-size: 1.4rem; margin: .8rem 0 .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .2rem .6rem; text-align: left; }
td.num, th.num { text-align: right; }
.meta { color: #57606a; font-size: .9rem; margin: 0; }
.controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: .5rem 0; font-size: .95rem; }
.legend { display: flex; flex-wrap: wrap; gap: .4rem; margin: .3rem 0; font-size: .85rem; }
.legend .swatch { padding: 0 .4rem; border-radius: 3px; }
#details { position: sticky; top: 0; max-width: 58rem; margin: .5rem auto; background: #f6f8fa; border: 1px solid #d0d7de;
           border-radius: 4px; padding: .3rem .6rem; min-height: 1.7em; font-size: .9rem; z-index: 2; }
.para { display: flex; gap: .8rem; margin: .6rem 0; }
.para .role { flex: 0 0 6.5rem; font-size: .75rem; color: #57606a; text-transform: uppercase; padding-top: .3rem; }
.para.role-body .role { visibility: hidden; }
.para:not(.role-body) .text { color: #57606a; }
.para .text { margin: 0; flex: 1; }
.ann { border-radius: 2px; }
.ent { padding: 0 1px; }
.evt { font-weight: 600; outline: 2px dashed #8250df; outline-offset: -1px; }
.stn { border-bottom: 3px solid #6e7781; }
.linked { box-shadow: 0 0 0 2px #0969da; }
.reglink { text-decoration: none; font-size: .7em; vertical-align: super; color: #0969da; }
.reglink::after { content: "\\2197"; }
body.hide-ent .ent { background: transparent; padding: 0; }
body.hide-ent .reglink { display: none; }
body.hide-evt .evt { font-weight: inherit; outline: none; }
body.hide-stn .stn { border-bottom: none; }
:target { scroll-margin-top: 3rem; box-shadow: 0 0 0 2px #bf8700; }
.registry dt { font-weight: 600; margin-top: .6rem; }
.registry dd { margin-left: 1rem; }
"""

SCRIPT = """'use strict';
(function () {
  var details = document.getElementById('details');
  var linked = [];
  function unlink() {
    linked.forEach(function (el) { el.classList.remove('linked'); });
    linked = [];
  }
  function link(ids) {
    (ids || '').split(' ').forEach(function (id) {
      var el = id && document.getElementById(id);
      if (el) { el.classList.add('linked'); linked.push(el); }
    });
  }
  document.querySelectorAll('input.toggle').forEach(function (box) {
    box.addEventListener('change', function () {
      document.body.classList.toggle('hide-' + box.dataset.layer, !box.checked);
    });
  });
  document.addEventListener('mouseover', function (ev) {
    var el = ev.target.closest ? ev.target.closest('.ann') : null;
    if (!el) { return; }
    unlink();
    if (details) { details.textContent = el.title; }
    link(el.dataset.args);
    link(el.dataset.holder);
  });
})();
"""
