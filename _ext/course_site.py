"""Sphinx extension of the course's website: fixes that keep every page free of console errors, offline.

- Sphinx 7.4 writes inline scripts added after the builder starts twice (sphinx-doc/sphinx#13402, fixed in 8.2,
  but Jupyter Book 1 pins Sphinx 7); sphinx-thebe's doubled `const` then throws. We drop the duplicates.
- require.js resolves the widget manager's modules (and so their fonts) against the page's folder; we point every
  @jupyter-widgets module name at the vendored copy under _static/vendor/html-manager.
- The widget manager 1.0.x typesets with MathJax 2's `MathJax.Hub.Queue`; the site runs MathJax 3. A small `Hub`
  forwards those calls to MathJax 3's `typesetPromise` (ipywidgets#3829).
"""
from __future__ import annotations

REQUIRE_PATHS = r"""
(function () {
  // The widget manager bundle defines its modules (@jupyter-widgets/base, controls, ...) inline; each finds its
  // fonts next to the URL require.js gives its module name, so every @jupyter-widgets name must map to the
  // vendored folder (the longest matching prefix wins in require.js).
  var vendored = new URL(document.documentElement.dataset.content_root + "_static/vendor/html-manager",
                         document.baseURI).href;
  window.require = {paths: {"@jupyter-widgets": vendored, "@jupyter-widgets/html-manager/dist": vendored}};
})();
"""

MATHJAX2_HUB = r"""
(function () {
  // Every object assigned to window.MathJax (Sphinx's configuration, then MathJax 3 itself) gets a MathJax 2 style
  // Hub whose Queue(["Typeset", MathJax.Hub, element]) typesets the element with MathJax 3 once it has started.
  var current, pending = [];
  function flush() {
    var mj = current;
    if (!(mj && mj.startup && mj.startup.promise && mj.typesetPromise) || !pending.length) return;
    var elements = pending.splice(0);
    mj.startup.promise.then(function () { return mj.typesetPromise(elements); });
  }
  var hub = {Queue: function (command) { pending.push(command[command.length - 1]); flush(); }};
  Object.defineProperty(window, "MathJax", {configurable: true, get: function () { return current; },
    set: function (value) { current = value; if (value && !value.Hub) value.Hub = hub; flush(); }});
})();
"""


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def setup(app):
    # Priority 100 puts both before require.js and MathJax (both added at the default 500 or later).
    app.add_js_file(None, body=REQUIRE_PATHS, priority=100)
    app.add_js_file(None, body=MATHJAX2_HUB, priority=100)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
