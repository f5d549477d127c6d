"""Sphinx extension of the course's website: fixes that keep every page free of console errors, offline.

- Sphinx 7.4 writes inline scripts added after the builder starts twice (sphinx-doc/sphinx#13402, fixed in 8.2,
  but Jupyter Book 1 pins Sphinx 7); sphinx-thebe's doubled `const` then throws. We drop the duplicates.
- require.js resolves the widget manager's modules (and so their fonts) against the page's folder; we point every
  @jupyter-widgets module name at the vendored copy under _static/vendor/html-manager.
- The widget manager 1.0.x typesets with MathJax 2's `MathJax.Hub.Queue`; the site runs MathJax 3. A small `Hub`
  forwards those calls to MathJax 3's `typesetPromise` (ipywidgets#3829).
- Learner editions (`_ext/learner_edition.py`): once the site is written, every notebook's learner edition is written
  beside it, to `learner/<page>.ipynb`; the page's download button gives that file, and its Colab button opens the
  same file on the repository's learner branch (`dlcourse_learner_branch`, which `make learner` fills; see README).
- Accessibility (WCAG 2 AA, checked with axe-core by tests/test_site.py): `static/course_site.js` names the widgets'
  sliders, gives figures drawn inside widgets the description their PNG carries (`dlcourse.alt_text`) and lets the
  keyboard reach scrolling outputs; `static/course_site.css` shows where the focus is. The bibliography's entries
  are list items (docutils writes the deprecated role doc-biblioentry, whose list then has no items). Every figure
  a notebook shows carries its description in its PNG (`dlcourse.alt_text`): it becomes the static image's alt text.
- Widgets without a kernel: the build sets DLCOURSE_FRAMES=1, so each Playground's sweep (a hidden cell of its
  chapter) embeds the figure of every value its controls offer, one control at a time from the defaults
  (`dlcourse.widgets`); `static/course_site.js` swaps them in as the reader moves the controls.
- Incremental builds (`make book` keeps _build between runs): a notebook page depends on the `<slug>.quiz.json`
  beside it (the questions it shows, `dlcourse.quiz`) and on every dlcourse file its code runs
  (`_ext/notebook_deps.py`), so editing one chapter, its questions or a module re-executes only the pages that use
  them.
- Claims (`dlcourse.claims`): the build executes notebooks strictly (`DLCOURSE_STRICT=1`, inherited by the kernels),
  so a failed claim fails the build; the claims each chapter measured (the JSON its `measured()` cell embeds) are
  gathered while pages are read, and the `{claims-table}` directive of the appendix page "Claims" lists them all,
  beside their spread over seeds and threads from the robustness runner (benchmarks/results/claims.json).
"""
from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

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


STATIC = Path(__file__).resolve().parent / "static"


def _bibliography_roles(app, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def _describe_figures(app, doctree, docname) -> None:
    """Alt text of a notebook's figures: the description in the PNG (a path, Sphinx's default, says nothing)."""
    from PIL import Image

    for node in doctree.findall(nodes.image):
        if node.get("alt") or not str(node.get("uri", "")).endswith(".png"):
            continue
        path = Path(app.srcdir, node["uri"])
        if path.is_file():
            with Image.open(path) as image:
                text = image.info.get("Description")
            if text:
                node["alt"] = text


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


CLAIMS_DATA = re.compile(r'<script type="application/json" class="dlcourse-claims-data">(.*?)</script>', re.S)
RUNNER_RESULTS = Path("benchmarks") / "results" / "claims.json"


class claims_table(nodes.General, nodes.Element):
    """Placeholder for the book's table of claims, filled in once every page has been read."""


class ClaimsTable(SphinxDirective):
    def run(self):
        self.env.note_dependency(str(Path(self.env.srcdir) / RUNNER_RESULTS))
        if not hasattr(self.env, "dlcourse_claims_pages"):
            self.env.dlcourse_claims_pages = set()
        self.env.dlcourse_claims_pages.add(self.env.docname)
        return [claims_table()]


def _collect_claims(app, doctree) -> None:
    found = []
    for raw in doctree.findall(nodes.raw):
        for match in CLAIMS_DATA.finditer(raw.astext()):
            found += json.loads(match.group(1).replace("<\\/", "</"))
    if found:
        if not hasattr(app.env, "dlcourse_claims"):
            app.env.dlcourse_claims = {}
        app.env.dlcourse_claims[app.env.docname] = found


def _purge_claims(app, env, docname) -> None:
    getattr(env, "dlcourse_claims", {}).pop(docname, None)


def _merge_claims(app, env, docnames, other) -> None:
    if not hasattr(env, "dlcourse_claims"):
        env.dlcourse_claims = {}
    env.dlcourse_claims.update(getattr(other, "dlcourse_claims", {}))


def _claims_pages_outdated(app, env, added, changed, removed) -> list[str]:
    """The page of claims gathers every chapter: re-read it whenever a chapter is read again."""
    return sorted(getattr(env, "dlcourse_claims_pages", set())) if added | changed | removed else []


def _book_order(env) -> list[str]:
    order, stack = [], [env.config.root_doc]
    while stack:
        doc = stack.pop(0)
        if doc not in order:
            order.append(doc)
            stack[0:0] = env.toctree_includes.get(doc, [])
    return order


def _claims_html(app, docname: str) -> str:
    from dlcourse.claims import number

    env = app.env
    gathered = getattr(env, "dlcourse_claims", {})
    path = Path(env.srcdir) / RUNNER_RESULTS
    runner = json.loads(path.read_text()) if path.exists() else {"claims": [], "grid": None}
    spread = {(Path(r["notebook"]).with_suffix("").as_posix(), r["claim"]): r for r in runner["claims"]}
    rows, total, held = [], 0, 0
    for doc in _book_order(env):
        for c in gathered.get(doc, []):
            total += 1
            held += bool(c["holds"])
            title = env.titles[doc].astext() if doc in env.titles else doc
            link = app.builder.get_relative_uri(docname, doc)
            r = spread.get((doc, c["name"]))
            runs = (f"{number(r['min'])} to {number(r['max'])} (median {number(r['median'])}); "
                    f"smallest margin {number(r['smallest_margin'])}; failed {r['failed_runs']} of {r['runs']}"
                    if r else "not in the runner's results yet")
            rows.append(f'<tr><td><a href="{html.escape(link)}">{html.escape(title)}</a></td>'
                        f'<td><code>{html.escape(c["name"])}</code></td><td>{html.escape(c["backs"])}</td>'
                        f'<td>{html.escape(c["bound"])}</td><td>{html.escape(number(c["value"]))}</td>'
                        f"<td>{html.escape(runs)}</td></tr>")
    grid = runner.get("grid")
    measured = f"This build measured {total} claim{'s' * (total != 1)}; {held} hold."
    intro = (f"<p>{measured} The last column is the robustness runner's spread over {html.escape(grid)}.</p>" if grid
             else f"<p>{measured} The robustness runner has not been run yet.</p>")
    return (intro + '<div class="table-wrapper"><table class="table dlcourse-claims-table"><thead><tr>'
            '<th scope="col">chapter</th><th scope="col">claim</th><th scope="col">what the prose says</th>'
            '<th scope="col">bound</th><th scope="col">measured by this build</th>'
            '<th scope="col">over seeds and threads</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div>")


def _fill_claims_tables(app, doctree, docname) -> None:
    for node in list(doctree.findall(claims_table)):
        node.replace_self(nodes.raw("", _claims_html(app, docname), format="html"))


def _note_dependencies(app, docname, source) -> None:
    """A notebook page depends on its questions file and on every file of dlcourse its code runs
    (`notebook_deps`): an incremental build re-executes it when one of them changes, and only then."""
    path = Path(app.env.doc2path(docname))
    questions = path.with_suffix(".quiz.json")
    if questions.exists():
        app.env.note_dependency(str(questions))
    if path.suffix == ".ipynb":
        from notebook_deps import notebook_code, package_files

        for file in package_files(notebook_code(path.read_text(encoding="utf-8")), Path(app.srcdir)):
            app.env.note_dependency(str(file))


def _learner_buttons(app, pagename, templatename, context, doctree) -> None:
    """Point the notebook pages' Colab and download buttons at the page's learner edition."""
    if context.get("page_source_suffix") != ".ipynb" or "header_buttons" not in context:
        return
    branch = app.config.dlcourse_learner_branch
    download = f"{context['pathto']('learner', 1)}/{pagename}.ipynb"

    def walk(buttons):
        for button in buttons:
            walk(button.get("buttons", []))
            url = button.get("url", "")
            if "colab.research.google.com/github/" in url:
                button["url"] = re.sub(r"/blob/[^/]+/.*$", f"/blob/{branch}/{pagename}.ipynb", url)
                button["tooltip"] = "Open the learner's notebook in Colab"
            elif button.get("label") == "download-source-button":
                button["url"] = download
                button["tooltip"] = "Download the learner's notebook"

    walk(context["header_buttons"])


def _write_learner_editions(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from learner_edition import book_site, learner_edition

    if not app.config.html_baseurl:
        raise RuntimeError("html.baseurl is not set in _config.yml: the learner editions link to the site there")
    site = book_site(Path(app.srcdir), app.config.html_baseurl)
    for docname in sorted(app.env.found_docs):
        source = Path(app.env.doc2path(docname))
        if source.suffix != ".ipynb":
            continue
        edition = learner_edition(json.loads(source.read_text(encoding="utf-8")), docname, site)
        target = Path(app.outdir) / "learner" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(edition, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def setup(app):
    # The kernels the build starts inherit this: a failed claim raises, and the build fails (-W, no errors allowed).
    os.environ.setdefault("DLCOURSE_STRICT", "1")
    # ... and this: each Playground's sweep keeps its figures as frames the static page swaps in (dlcourse.widgets).
    os.environ.setdefault("DLCOURSE_FRAMES", "1")
    app.add_node(claims_table)
    app.add_directive("claims-table", ClaimsTable)
    app.connect("source-read", _note_dependencies)
    app.connect("doctree-read", _collect_claims)
    app.connect("env-purge-doc", _purge_claims)
    app.connect("env-merge-info", _merge_claims)
    app.connect("doctree-resolved", _fill_claims_tables)
    app.connect("env-get-outdated", _claims_pages_outdated)
    # Priority 100 puts both before require.js and MathJax (both added at the default 500 or later).
    app.add_js_file(None, body=REQUIRE_PATHS, priority=100)
    app.add_js_file(None, body=MATHJAX2_HUB, priority=100)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", _bibliography_roles)
    app.connect("doctree-resolved", _describe_figures)
    app.connect("builder-inited", lambda app: app.config.html_static_path.append(str(STATIC)))
    app.add_js_file("course_site.js", defer="defer")
    app.add_css_file("course_site.css")
    app.add_config_value("dlcourse_learner_branch", "learner", "html")
    app.connect("html-page-context", _learner_buttons, priority=600)  # after sphinx-book-theme's (501)
    app.connect("build-finished", _write_learner_editions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
