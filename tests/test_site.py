"""The website, built exactly as `make book` builds it and opened in real headless Chromium.

Every page listed in _toc.yml is checked (new chapters are covered automatically): it loads without console
errors, uncaught exceptions, failed requests or any request off this machine (MathJax, require.js and the widget
manager are vendored under _static/vendor/), its images load, its math is typeset, its widgets render, notebook
pages carry the Colab button, exercise solutions start folded, citations lead to the bibliography, and every
self-check question gives the feedback its file holds for a wrong and for the right answer, by mouse and by keyboard.
Every page meets WCAG 2 A and AA as axe-core (from node_modules, installed by `make assets`) judges it, in light and
dark mode; every figure has alt text that says what it shows; a slider works from the keyboard alone; every widget
responds without a kernel (the figures the build drew for its controls' values).

Needs Chromium: set CHROMIUM=/path/to/chrome or install it (`make browser` does, as root on Debian). Without it
the test is skipped locally and fails in CI (where CI is set). Set SITE_SCREENSHOTS=/some/folder to keep
full-page screenshots of a few pages for a human to look at. Set SITE_HTML=_build/html to test a site built before
(by `make book`) instead of building it again.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import sync_playwright

from dlcourse import quiz

# The first site test builds the book (every notebook executed), which outlasts the suite's 600 s per test on a
# loaded two-core machine; the build has its own limit (BUILD_TIMEOUT_S).
pytestmark = [pytest.mark.site, pytest.mark.timeout(2400)]

ROOT = Path(__file__).resolve().parent.parent
MATHJAX = ROOT / "_vendor" / "vendor" / "mathjax" / "tex-chtml.js"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # the test's, never served by the site
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
BUILD_TIMEOUT_S = 1800  # the build executes every notebook
RENDER_TIMEOUT_MS = 20_000  # MathJax typesetting and the widget manager rendering, after the page has loaded
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'


def _toc_pages() -> list[str]:
    """The book's pages in _toc.yml order (root, then parts[*].chapters[*], sections included), without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [re.sub(r"\.(md|ipynb)$", "", page) for page in pages]


PAGES = _toc_pages()
NOTEBOOK_PAGES = [page for page in PAGES if (ROOT / f"{page}.ipynb").exists()]
NEURON = "book/foundations/neuron"
BIBLIOGRAPHY = "book/appendix/bibliography"
CLAIMS = "book/appendix/claims"
CHAPTER_PAGES = {page for page in NOTEBOOK_PAGES if page != "book/setup"}
# Every chapter must contain typeset math, widgets and folded solutions (other pages are checked when they have any).
MATH_PAGES = WIDGET_PAGES = SOLUTION_PAGES = CHAPTER_PAGES
SCREENSHOT_PAGES = ["book/intro", *sorted(CHAPTER_PAGES)]
# Every chapter has its questions (tests/test_quiz.py says so without a build); these pages are the ones that do.
QUIZ_PAGES = sorted(page for page in CHAPTER_PAGES if quiz.path_of(page, ROOT).exists())


def _require_in_toc(*pages: str) -> None:
    missing = [page for page in pages if page not in PAGES]
    if missing:
        pytest.fail(f"{', '.join(missing)} no longer in _toc.yml ({PAGES}): update tests/test_site.py")


# --------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium_path() -> str:
    candidates = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    for candidate in filter(None, candidates):
        found = shutil.which(candidate)
        if found:
            return found
    message = ("Chromium not found (tried $CHROMIUM, chromium, chromium-browser, google-chrome): install it with "
               "`make browser` (as root on Debian: apt-get install chromium) or set CHROMIUM=/path/to/chrome")
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the site test, never skip it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Build the book with the project's build command into a fresh folder; the HTML folder."""
    if os.environ.get("SITE_HTML"):
        return Path(os.environ["SITE_HTML"]).resolve()
    if not MATHJAX.exists():
        pytest.fail(f"{MATHJAX.relative_to(ROOT)} is missing: run `make assets` first (the site serves MathJax, "
                    "require.js and the widget manager itself)")
    out = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]
    try:
        result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        log = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode(errors="replace")
        pytest.fail(f"the book build took longer than {BUILD_TIMEOUT_S} s; its log ends:\n{log[-3000:]}")
    html = out / "_build" / "html"
    if result.returncode != 0 or not html.is_dir():
        pytest.fail(f"`{' '.join(command)}` failed (exit {result.returncode}); its log ends:\n"
                    f"{result.stdout[-3000:]}")
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="session")
def base_url(site) -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser, base_url):
    """A fresh page (in its own browser context: no cookies, no local storage) per test."""
    new = browser.new_page()
    new.set_default_timeout(30_000)
    yield new
    new.close()


# ---------------------------------------------------------------------------------------------------- helpers


def _is_favicon(url: str) -> bool:
    return urlsplit(url).path.endswith("/favicon.ico")


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


@dataclass
class PageLog:
    """What happened while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{error.name}: {error.message}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("request", self._on_request)
        page.on("websocket", lambda socket: self._on_request_url(f"websocket {socket.url}", socket.url))

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        where = message.location or {}
        if _is_favicon(where.get("url", "")):
            return
        self.console_errors.append(f"{message.text} (at {where.get('url')}:{where.get('lineNumber')})")

    def _on_request_failed(self, request) -> None:
        if not _is_favicon(request.url):
            self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response) -> None:
        if response.status >= 400 and not _is_favicon(response.url):
            self.bad_responses.append(f"HTTP {response.status} {response.request.method} {response.url}")

    def _on_request(self, request) -> None:
        self._on_request_url(f"{request.method} {request.url} ({request.resource_type})", request.url)

    def _on_request_url(self, description: str, url: str) -> None:
        if not _is_local(url):
            self.external_requests.append(description)

    def problems(self) -> list[str]:
        """Everything that went wrong, identical messages counted once ("(x7)"). A resource that answered with an
        error status is listed once, as that response, not again as Chromium's console line and aborted request."""
        errored = {line.rsplit(" ", 1)[1] for line in self.bad_responses}
        console = [m for m in self.console_errors
                   if not (m.startswith("Failed to load resource") and any(f"(at {url}:" in m for url in errored))]
        failed = [m for m in self.failed_requests if m.split(" ", 2)[1].removesuffix(":") not in errored]
        found = ([f"console error: {m}" for m in console]
                 + [f"uncaught page error: {m}" for m in self.page_errors]
                 + [f"error response: {m}" for m in self.bad_responses]
                 + [f"failed request: {m}" for m in failed]
                 + [f"request off 127.0.0.1 (the site must not touch the network): {m}" for m in
                    self.external_requests])
        counts: dict[str, int] = {}
        for problem in found:
            counts[problem] = counts.get(problem, 0) + 1
        return [problem if n == 1 else f"{problem} (x{n})" for problem, n in counts.items()]


def _open(page, base_url: str, name: str):
    """Open `name` (a page from _toc.yml) with every listener attached first; (response, log)."""
    log = PageLog()
    log.attach(page)
    response = page.goto(f"{base_url}{name}.html", wait_until="networkidle")
    assert response is not None, f"no response for {name}.html"
    return response, log


# True once every math element holds MathJax's output and every widget view has been rendered by the widget
# manager (@jupyter-widgets/html-manager puts a div.widget-subarea right before each view's script tag).
_RENDERED_JS = """() => {
    const math = Array.from(document.querySelectorAll('span.math, div.math'));
    const views = Array.from(document.querySelectorAll('%s'));
    return math.every(el => el.querySelector('mjx-container'))
        && views.every(view => {
            const area = view.previousElementSibling;
            return area && area.classList.contains('widget-subarea') && area.querySelector('.jupyter-widgets');
        });
}""" % WIDGET_VIEW


def _wait_rendered(page) -> str | None:
    """Wait for math and widgets (where the page has any) to render; None, or what did not render in time."""
    try:
        page.wait_for_function(_RENDERED_JS, timeout=RENDER_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError; report what is missing instead
        missing = page.evaluate("""() => ({
            math: Array.from(document.querySelectorAll('span.math, div.math'))
                .filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.trim().slice(0, 80)),
            widgets: Array.from(document.querySelectorAll('%s')).filter(view => {
                const area = view.previousElementSibling;
                return !(area && area.classList.contains('widget-subarea') && area.querySelector('.jupyter-widgets'));
            }).map(view => view.textContent.trim()),
        })""" % WIDGET_VIEW)
        parts = [f"{len(missing[kind])} {label} {missing[kind][:5]}" for kind, label in
                 (("math", "math element(s) not typeset"), ("widgets", "widget view(s) not rendered"))
                 if missing[kind]]
        return f"after {RENDER_TIMEOUT_MS / 1000:.0f} s: {'; '.join(parts) or 'not rendered'}"
    page.evaluate("document.fonts.ready.then(() => true)")  # fonts the rendered output asked for
    page.wait_for_timeout(250)  # let late asynchronous errors arrive
    return None


def _article_text(page) -> str:
    """The visible text of the page's main article, without the code blocks."""
    article = page.locator("article").first if page.locator("article").count() else page.locator("main").first
    text = article.inner_text()
    for block in article.locator("pre").all():
        code = block.inner_text()
        if code:
            text = text.replace(code, "")
    return text


def _listing(items) -> str:
    return "\n  " + "\n  ".join(str(item) for item in items)


# ------------------------------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly(page, base_url, name):
    """HTTP 200, a title, and nothing wrong in the console, the page's scripts or the network."""
    response, log = _open(page, base_url, name)
    not_rendered = _wait_rendered(page)
    screenshots = os.environ.get("SITE_SCREENSHOTS")
    if screenshots and name in SCREENSHOT_PAGES:
        folder = Path(screenshots)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name.replace('/', '_')}.png"), full_page=True)

    assert response.status == 200, f"{name}.html answered HTTP {response.status}"
    headings = [text.strip() for text in page.locator("article h1, main h1").all_inner_texts()]
    assert any(headings), f"{name}.html has no non-empty <h1> in its article (found {headings})"
    problems = log.problems() + ([not_rendered] if not_rendered else [])
    if problems:
        pytest.fail(f"{name}.html: {len(problems)} problem(s):{_listing(problems)}", pytrace=False)


@pytest.mark.parametrize("name", PAGES)
def test_images_load(page, base_url, name):
    _open(page, base_url, name)
    _wait_rendered(page)  # the widgets' Output areas add images after load
    broken = page.evaluate("""async () => {
        const images = Array.from(document.images);
        images.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
        const settled = images.map(img => img.complete ? null
            : new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); }));
        await Promise.race([Promise.all(settled), new Promise(done => setTimeout(done, 15000))]);
        return images.filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => (img.currentSrc || img.src || '(no src)').slice(0, 120));
    }""")
    assert not broken, f"{name}.html: {len(broken)} image(s) did not load:{_listing(broken)}"


@pytest.mark.parametrize("name", PAGES)
def test_math_is_typeset(page, base_url, name):
    """MathJax (vendored, CHTML output) typesets every formula; no raw TeX is left in the article's text."""
    _open(page, base_url, name)
    math = page.locator("span.math, div.math")
    if name in MATH_PAGES:
        assert math.count() > 0, f"{name}.html should contain math but has no span.math / div.math element"
    if math.count():
        try:
            page.wait_for_selector("mjx-container", timeout=RENDER_TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            pytest.fail(f"{name}.html: MathJax typeset nothing in {RENDER_TIMEOUT_MS / 1000:.0f} s "
                        f"(no mjx-container; {math.count()} math elements)")
        _wait_rendered(page)
        untypeset = page.evaluate("""() => Array.from(document.querySelectorAll('span.math, div.math'))
            .filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.trim().slice(0, 80))""")
        assert not untypeset, f"{name}.html: {len(untypeset)} formula(s) not typeset:{_listing(untypeset)}"
        errors = page.evaluate("""() => Array.from(document.querySelectorAll('mjx-merror'))
            .map(el => (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 120))""")
        assert not errors, f"{name}.html: MathJax reports TeX errors:{_listing(errors)}"
    text = _article_text(page)
    raw = [token for token in ("$$", "\\begin", "\\(", "\\[") if token in text]
    assert not raw, (f"{name}.html shows raw TeX {raw} in its text, e.g. "
                     f"{[text[max(0, text.find(t) - 40):text.find(t) + 60] for t in raw]}")


@pytest.mark.parametrize("name", PAGES)
def test_widgets_render(page, base_url, name):
    """The widget manager renders every embedded widget view (the widgets' state is saved in the page)."""
    _open(page, base_url, name)
    views = page.locator(WIDGET_VIEW).count()
    if name in WIDGET_PAGES:
        assert views > 0, f"{name}.html should embed widgets but has no {WIDGET_VIEW}"
    if not views:
        return
    not_rendered = _wait_rendered(page)
    assert not not_rendered, f"{name}.html embeds {views} widget view(s); {not_rendered}"


def test_neuron_widgets_are_interactive(page, base_url):
    """The neuron page's sliders and dropdowns render, and its Output widgets show the plot."""
    _require_in_toc(NEURON)
    _open(page, base_url, NEURON)
    try:
        page.wait_for_selector(".jupyter-widgets.widget-slider", timeout=RENDER_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        rendered = page.evaluate("Array.from(document.querySelectorAll('.jupyter-widgets')).map(e => e.className)")
        pytest.fail(f"{NEURON}.html: no slider widget rendered in {RENDER_TIMEOUT_MS / 1000:.0f} s; "
                    f"widget elements: {rendered[:10]}")
    _wait_rendered(page)
    sliders = page.locator(".jupyter-widgets.widget-slider")
    assert sliders.count() >= 2, f"{NEURON}.html: expected the neuron's weight sliders, found {sliders.count()}"
    assert sliders.first.is_visible(), f"{NEURON}.html: the first slider is not visible"
    outputs = page.evaluate("""() => Array.from(document.querySelectorAll('.jupyter-widgets.widget-output'))
        .map(out => Array.from(out.querySelectorAll('img')).map(img => img.complete && img.naturalWidth > 0))""")
    assert outputs, f"{NEURON}.html: no Output widget (.jupyter-widgets.widget-output) rendered"
    blank = [i for i, images in enumerate(outputs) if not any(images)]
    assert not blank, (f"{NEURON}.html: Output widget(s) {blank} of {len(outputs)} show no loaded image "
                       f"(images per output: {outputs})")


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_colab_button(page, base_url, name):
    """Notebook pages offer 'open in Colab' for the learner edition of the notebook, on the repository's learner
    branch (not clicked)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = urlsplit(config["repository"]["url"]).path.strip("/").removesuffix(".git")
    branch = config["sphinx"]["config"]["dlcourse_learner_branch"]
    expected = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{name}.ipynb"
    _open(page, base_url, name)
    hrefs = [a.get_attribute("href") or "" for a in page.locator('a[href*="colab.research.google.com"]').all()]
    matching = [href for href in hrefs if href.startswith("https://colab.research.google.com/github/")
                and href.endswith(f"/{name}.ipynb")]
    assert matching, f"{name}.html has no Colab launch link to {name}.ipynb; Colab links found: {hrefs}"
    assert expected in matching, f"{name}.html's Colab link {matching} is not {expected} (from _config.yml)"


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_download_button_gives_the_learner_edition(page, base_url, site, name):
    """The page's .ipynb download is the learner edition the build wrote, with no MyST and no test-only cells."""
    _open(page, base_url, name)
    hrefs = [a.get_attribute("href") or "" for a in page.locator("a").all()]
    downloads = [href for href in hrefs if href.endswith(f"learner/{name}.ipynb")]
    assert downloads, f"{name}.html has no download link to learner/{name}.ipynb"
    edition = json.loads((site / "learner" / f"{name}.ipynb").read_text())
    markdown = "\n".join("".join(c["source"]) for c in edition["cells"] if c["cell_type"] == "markdown")
    assert not re.search(r"```\{|\{(cite|doc)\}`", markdown), f"learner/{name}.ipynb shows MyST raw"
    assert not any("remove-cell" in c.get("metadata", {}).get("tags", []) for c in edition["cells"])


def test_learner_citations_find_their_bibliography_entries(page, base_url, site):
    """The learner editions link citations to bibliography.html#cite-<key> (bibtex_cite_id): those ids exist."""
    _open(page, base_url, BIBLIOGRAPHY)
    ids = set(page.evaluate("() => Array.from(document.querySelectorAll('article .citation')).map(el => el.id)"))
    edition = (site / "learner" / f"{NEURON}.ipynb").read_text()
    targets = set(re.findall(r"bibliography\.html#(cite-[\w-]+)", edition))
    assert targets and targets <= ids, f"learner citations point at missing entries: {sorted(targets - ids)}"


def _solution_cells(name: str) -> tuple[list[str], int]:
    """A notebook page's code cells tagged 'solution', and how many solution directives its markdown has."""
    notebook = ROOT / f"{name}.ipynb"
    if not notebook.exists():
        return [], 0
    cells = json.loads(notebook.read_text())["cells"]
    code = ["".join(c["source"]).strip() for c in cells
            if c["cell_type"] == "code" and "solution" in c.get("metadata", {}).get("tags", [])]
    directives = sum(len(re.findall(r"\{solution(?:-start)?\}", "".join(c["source"])))
                     for c in cells if c["cell_type"] == "markdown")
    return code, directives


@pytest.mark.parametrize("name", PAGES)
def test_solutions_are_folded(page, base_url, name):
    """sphinx-exercise solutions start collapsed (sphinx-togglebutton), yet their code is in the page."""
    _open(page, base_url, name)
    solutions = page.locator("div.solution")
    count = solutions.count()
    code, directives = _solution_cells(name)
    if name in SOLUTION_PAGES:
        assert count > 0, f"{name}.html should contain exercise solutions but has no div.solution"
    assert count == directives or not directives, (
        f"{name}.html shows {count} solution(s), its notebook has {directives} solution directive(s)")
    if not count:
        return
    try:  # sphinx-togglebutton folds the solutions (adds toggle-hidden and the button) when the page loads
        page.wait_for_selector("div.solution button.toggle-button", state="attached", timeout=10_000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        pytest.fail(f"{name}.html: sphinx-togglebutton did not fold its {count} solution(s) (no toggle button "
                    "after 10 s); they are shown expanded")
    state = page.evaluate("""() => Array.from(document.querySelectorAll('div.solution')).map(sol => ({
        id: sol.id,
        folded: sol.classList.contains('toggle-hidden')
            || (sol.closest('details') !== null && !sol.closest('details').open),
        code: Array.from(sol.querySelectorAll('pre')).map(pre => pre.textContent.trim()),
    }))""")
    unfolded = [s["id"] for s in state if not s["folded"]]
    assert not unfolded, f"{name}.html: solution(s) not collapsed by default:{_listing(unfolded)}"
    shown = [s.evaluate("el => el.id") for s in solutions.all()
             if any(body.is_visible() for body in s.locator(":scope > :not(.admonition-title)").all())]
    assert not shown, f"{name}.html: the body of solution(s) is visible before unfolding:{_listing(shown)}"
    in_page = [snippet for s in state for snippet in s["code"]]
    missing = [source.splitlines()[0] for source in code if source not in in_page]
    assert not missing, (f"{name}.html: the code of solution cell(s) is not inside a folded solution:"
                         f"{_listing(missing)}")

    first = solutions.first
    first.locator("button.toggle-button").first.click()
    body = first.locator(":scope > :not(.admonition-title)").first
    body.wait_for(state="visible", timeout=5_000)
    if code:
        assert first.locator("pre").first.is_visible(), f"{name}.html: unfolding a solution does not show its code"


def test_bibliography_and_citations(page, base_url):
    """The bibliography lists the references, and the neuron page's citations link to its entries."""
    _require_in_toc(NEURON, BIBLIOGRAPHY)
    _open(page, base_url, NEURON)
    links = page.locator('article a[href*="bibliography.html#"]')
    targets = sorted({(a.get_attribute("href") or "").rsplit("#", 1)[1] for a in links.all()})
    texts = links.all_inner_texts()
    assert targets, f"{NEURON}.html has no citation linking to {BIBLIOGRAPHY}.html#..."

    _open(page, base_url, BIBLIOGRAPHY)
    entries = page.evaluate("""() => Array.from(document.querySelectorAll('article .citation'))
        .map(el => ({id: el.id, text: el.textContent.replace(/\\s+/g, ' ').trim()}))""")
    assert len(entries) >= 5, f"{BIBLIOGRAPHY}.html lists {len(entries)} citation entries, expected at least 5"
    empty = [entry["id"] for entry in entries if not entry["text"]]
    assert not empty, f"{BIBLIOGRAPHY}.html has empty entries: {empty}"
    ids = {entry["id"] for entry in entries}
    dangling = [target for target in targets if target not in ids]
    assert not dangling, (f"citations on {NEURON}.html ({texts}) point at {dangling}, which are not entries of "
                          f"{BIBLIOGRAPHY}.html (entries: {sorted(ids)})")


@pytest.mark.parametrize("name", sorted(CHAPTER_PAGES))
def test_chapter_shows_what_it_measured_folded(page, base_url, name):
    """Each chapter ends with a folded box of its claims: name, prose, bound and the value measured at build."""
    _open(page, base_url, name)
    box = page.locator("details.dlcourse-claims")
    assert box.count() == 1, f"{name}.html has {box.count()} boxes of claims (details.dlcourse-claims), expected 1"
    assert not box.first.evaluate("el => el.open"), f"{name}.html: the box of claims should start folded"
    summary = box.first.locator("summary").inner_text()
    counted = re.search(r"(\d+) claims, (\d+) hold", summary)
    assert counted and int(counted[1]) >= 3 and counted[1] == counted[2], f"{name}.html: {summary!r}"
    rows = box.first.locator("tbody tr").count()
    assert rows == int(counted[1]), f"{name}.html: {rows} rows for {counted[1]} claims"


def test_claims_page_gathers_every_claim_of_the_book(page, base_url):
    """The appendix page lists the claims of every chapter, each linked to its page, with the runner's spread."""
    _require_in_toc(CLAIMS)
    _open(page, base_url, CLAIMS)
    rows = page.evaluate("""() => Array.from(document.querySelectorAll('table.dlcourse-claims-table tbody tr'))
        .map(tr => ({page: tr.querySelector('a').getAttribute('href'), cells: Array.from(tr.cells).map(td =>
        td.textContent.trim())}))""")
    chapters = {Path(r["page"]).stem for r in rows}
    missing = [name for name in CHAPTER_PAGES if Path(name).name not in chapters]
    assert not missing, f"{CLAIMS}.html lists no claims of {missing}"
    assert len(rows) >= 3 * len(CHAPTER_PAGES), f"{CLAIMS}.html lists only {len(rows)} claims"
    unmeasured = [r["cells"][1] for r in rows if "not in the runner" in r["cells"][5]]
    assert not unmeasured, f"claims with no robustness results (run make robustness):{_listing(unmeasured)}"


def test_executed_notebooks_print_no_warnings(site):
    """Warnings are errors: no notebook writes to stderr (matplotlib, torch or our own warnings) while the site builds."""
    executed = site.parent / "jupyter_execute"
    notebooks = sorted(executed.rglob("*.ipynb"))
    assert len(notebooks) == len(NOTEBOOK_PAGES), f"executed notebooks: {notebooks}"
    problems = []
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" or output.get("name") == "stderr":
                    text = "".join(output.get("text", "")) or output.get("ename", "")
                    problems.append(f"{path.relative_to(executed)}: {text.strip()[:300]}")
    assert not problems, "notebook output on stderr:\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------------- accessibility


def _settle(page) -> None:
    """Let course_site.js's pass over the rendered widgets run (it waits for an animation frame)."""
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_page_meets_wcag_aa(page, base_url, name, scheme):
    """axe-core finds no WCAG 2 A/AA violation once math and widgets have rendered, in light and in dark mode."""
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make assets` (npm ci installs axe-core)")
    page.emulate_media(color_scheme=scheme)
    _open(page, base_url, name)
    _wait_rendered(page)
    _settle(page)
    assert page.evaluate("document.documentElement.dataset.theme") == scheme, f"{name}.html is not in {scheme} mode"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async tags => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return result.violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ' ' + n.html.slice(0, 140))}));
    }""", WCAG_TAGS)
    found = [f"{v['rule']} ({v['impact']}: {v['help']}) x{len(v['nodes'])}, e.g. {v['nodes'][:3]}" for v in violations]
    assert not found, f"{name}.html in {scheme} mode: {len(found)} WCAG rule(s) violated:{_listing(found)}"


_PATH_LIKE = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg|webp)$|^(\.\./)+|_images/", re.I)


@pytest.mark.parametrize("name", PAGES)
def test_figures_say_what_they_show(page, base_url, name):
    """Every image in the article, static or drawn by a widget, has alt text that is neither empty nor a path."""
    _open(page, base_url, name)
    _wait_rendered(page)
    _settle(page)
    images = page.evaluate("""() => Array.from(document.querySelectorAll('main img')).map(img => ({
        src: (img.getAttribute('src') || '').slice(0, 60), alt: img.getAttribute('alt'),
        widget: img.closest('.jupyter-widgets') !== null}))""")
    bad = [f"{'widget ' if i['widget'] else ''}image {i['src']!r}: alt {i['alt']!r}" for i in images
           if not (i["alt"] or "").strip() or _PATH_LIKE.search(i["alt"].strip())
           or "no description was recorded" in i["alt"]]
    assert not bad, f"{name}.html: {len(bad)} of {len(images)} image(s) without a text alternative:{_listing(bad)}"
    if name in CHAPTER_PAGES:
        assert images, f"{name}.html shows no figure"


def test_a_slider_works_from_the_keyboard_alone(page, base_url):
    """Tab reaches a slider of the neuron page, it is named by its label, shows where the focus is, and the arrow
    keys move it."""
    _require_in_toc(NEURON)
    _open(page, base_url, NEURON)
    _wait_rendered(page)
    _settle(page)
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('role') === 'slider'"):
            break
    else:
        pytest.fail(f"{NEURON}.html: 400 presses of Tab never reach a slider")
    focused = page.evaluate("""() => {
        const handle = document.activeElement, widget = handle.closest('.widget-slider');
        const style = getComputedStyle(handle);
        return {name: handle.getAttribute('aria-label'), label: widget.querySelector('.widget-label').textContent.trim(),
                readout: widget.querySelector('.widget-readout').textContent.trim(),
                outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
    }""")
    assert focused["name"] and focused["name"] == focused["label"], focused
    assert focused["outline"] != "none" and focused["width"] >= 2, f"no visible focus on the slider: {focused}"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    _settle(page)
    moved = page.evaluate("document.activeElement.closest('.widget-slider').querySelector('.widget-readout')"
                          ".textContent.trim()")
    assert moved != focused["readout"], f"ArrowRight did not move the slider {focused['name']!r} ({moved})"
    assert page.evaluate("document.activeElement.getAttribute('aria-valuetext')") == moved


# ------------------------------------------------------------------------------------ widgets without a kernel

PLAYGROUND = ".dlcourse-playground"
_FRAMES_JS = "i => window.dlcourseSite.frameData(document.querySelectorAll('.dlcourse-playground')[i])"
_FIGURE_JS = "i => document.querySelectorAll('.dlcourse-playground')[i].querySelector('.widget-output img')"


def _shown_frame(page, index: int) -> dict:
    return page.evaluate(f"""i => {{ const img = ({_FIGURE_JS})(i);
        return img ? {{src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
                      stale: img.classList.contains('dlcourse-stale')}} : null; }}""", index)


def _move(page, index: int, control: dict, value) -> None:
    """Set one control of playground `index` to `value` as a reader does: keys on a slider (Home, End), a
    choice in a menu, a click on a toggle or a check box."""
    root = page.locator(PLAYGROUND).nth(index).locator(f".dlcourse-control-{control['index']}")
    handle = root.locator('[role="slider"]')
    if handle.count():
        handle.first.focus()
        handle.first.press("Home" if value == control["values"][0]["value"] else "End")
    elif root.locator("select").count():
        root.locator("select").select_option(label=str(value))
    elif root.locator(".widget-toggle-button").count():
        root.locator(".widget-toggle-button", has_text=str(value)).first.click()
    else:
        root.locator("input").first.click()


def _targets(page, index: int, control: dict) -> list[dict]:
    """The offered values the test moves a control to: a slider's first and last (its Home and End keys); for a
    menu, toggles or a check box, the first and the last that differ from the default."""
    root = page.locator(PLAYGROUND).nth(index).locator(f".dlcourse-control-{control['index']}")
    values = control["values"]
    if root.locator('[role="slider"]').count():
        return [values[0], values[-1]]
    others = [v for v in values if v["key"] != "default"]
    return others[:1] + others[1:][-1:]


def _wait_for_frame(page, index: int, manifest: dict, key: str, what: str) -> None:
    want = "data:image/png;base64," + manifest["frames"][key]
    try:
        page.wait_for_function(f"([i, src]) => {{ const img = ({_FIGURE_JS})(i); "
                               "return img && img.getAttribute('src') === src; }", arg=[index, want], timeout=10_000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError; say what is shown instead
        shown = _shown_frame(page, index)
        frames = {v: k for k, v in manifest["frames"].items()}
        pytest.fail(f"{what}: shows frame {frames.get((shown or {}).get('src', '')[22:], 'none of the build')!r}, "
                    f"not {key!r}")
    shown = _shown_frame(page, index)
    assert shown["alt"] and "no description" not in shown["alt"] and not shown["stale"], (what, shown["alt"])


def _grid_key(manifest: dict, moved: dict) -> str:
    """The frame of a grid setting: each control at its moved value's place, the others at their default's."""
    places = [moved[c["name"]]["j"] if c["name"] in moved else next(v["j"] for v in c["values"] if v["key"] == "default")
              for c in manifest["controls"]]
    at_defaults = all(c["name"] not in moved or moved[c["name"]]["key"] == "default" for c in manifest["controls"])
    return "default" if at_defaults else "g:" + ",".join(map(str, places))


def _fresh(page, base_url, name) -> None:
    _open(page, base_url, name)
    _wait_rendered(page)
    _settle(page)


@pytest.mark.parametrize("name", sorted(CHAPTER_PAGES))
def test_widgets_respond_without_a_kernel(page, base_url, name):
    """Every Playground of the page embeds the figures its build drew; the one shown at first is the kernel's own
    image of the defaults; moving each control it can show (from a fresh page) swaps in the frame the build drew for
    that value, described by its alt text; where every combination was drawn, moving two controls shows theirs;
    a control it cannot show says so."""
    _fresh(page, base_url, name)
    count = page.locator(PLAYGROUND).count()
    if name in WIDGET_PAGES:
        assert count, f"{name}.html has no Playground ({PLAYGROUND})"
    manifests = [page.evaluate(_FRAMES_JS, i) for i in range(count)]
    for i, manifest in enumerate(manifests):
        assert manifest and manifest["frames"].get("default"), f"{name}.html: playground {i} embeds no frames"
        shown = _shown_frame(page, i)
        assert shown and shown["src"] == "data:image/png;base64," + manifest["frames"]["default"], (
            f"{name}.html: playground {i} does not show the build's figure of its defaults")
        explorable = [c for c in manifest["controls"] if c["values"]]
        assert explorable, f"{name}.html: playground {i} responds to none of its controls"
        note = page.locator(PLAYGROUND).nth(i).locator(".dlcourse-frames-note").inner_text()
        for control in manifest["controls"]:
            if not control["values"]:
                element = page.locator(PLAYGROUND).nth(i).locator(f".dlcourse-control-{control['index']}")
                assert "dlcourse-inactive" in (element.get_attribute("class") or ""), control["name"]
                assert control["label"] in note and "run this page" in note, note
    for i, manifest in enumerate(manifests):
        explorable = [c for c in manifest["controls"] if c["values"]]
        for control in explorable:
            for value in _targets(page, i, control):
                _fresh(page, base_url, name)
                _move(page, i, control, value["value"])
                key = _grid_key(manifest, {control["name"]: value}) if manifest.get("mode") == "grid" else value["key"]
                _wait_for_frame(page, i, manifest, key,
                                f"{name}.html: playground {i}, {control['name']} = {value['value']!r}")
        if manifest.get("mode") == "grid":
            _fresh(page, base_url, name)
            moved = {}
            for control in explorable[:2]:
                moved[control["name"]] = _targets(page, i, control)[-1]
                _move(page, i, control, moved[control["name"]]["value"])
            _wait_for_frame(page, i, manifest, _grid_key(manifest, moved),
                            f"{name}.html: playground {i}, {sorted(moved)} moved together")


# ------------------------------------------------------------------------------------- self-check questions


def _plain(text: str) -> str:
    """A question file's text as the page shows it (backticks become code)."""
    return text.replace("`", "")


def _numbers_to_try(question: dict) -> list[tuple[str, dict]]:
    """(what to type, the answer whose feedback it must give) for every numeric answer: the wrong values, a number
    inside each wrong range, one that nothing matches (the default), and last the right value."""
    digits = question["precision"]
    answers = question["answers"]
    values = [quiz._significant(a["value"], digits) for a in answers if a["type"] == "value"]
    ranges = [a["range"] for a in answers if a["type"] == "range"]
    matches = lambda x: x in values or any(low <= x < high for low, high in ranges)
    tries = [(repr(a["value"]), a) for a in answers if a["type"] == "value" and not a["correct"]]
    for answer in answers:
        if answer["type"] == "range":
            low, high = answer["range"]
            middle = quiz._significant((low + high) / 2, digits)
            tries.append((repr(middle if low <= middle < high else low), answer))
    right = next(a for a in answers if a.get("correct"))
    other = next(x for x in (abs(right["value"]) * 7 + 3, -abs(right["value"]) * 7 - 3, 123456789, -987654321)
                 if not matches(quiz._significant(x, digits)))
    tries.append((repr(other), next(a for a in answers if a["type"] == "default")))
    return tries + [(repr(right["value"]), right)]


def _feedback_after(action, box) -> tuple[str, list[str]]:
    action()
    box.wait_for(state="visible", timeout=5_000)
    return box.inner_text().strip(), (box.get_attribute("class") or "").split()


def _answer_every_question(page, root, questions: list[dict], where: str) -> None:
    """Every wrong answer of every question, then the right one(s): each shows the feedback its file holds."""
    shown = root.locator(".Quiz")
    shown.nth(len(questions) - 1).wait_for(timeout=RENDER_TIMEOUT_MS)
    assert shown.count() == len(questions), f"{where}: {shown.count()} questions shown, its file has {len(questions)}"
    for i, question in enumerate(questions):
        box, at = shown.nth(i), f"{where}, question {i + 1}"
        text = box.locator("[id^=quizQn]").inner_text().strip()
        assert text == _plain(question["question"]), f"{at} reads {text!r}"
        feedback = box.locator(".Feedback")
        if question["type"] == "numeric":
            field = box.locator("input.Input-text")

            def submit(typed):
                return lambda: (field.fill(typed), field.press("Enter"))

            tries = [(submit(typed), answer) for typed, answer in _numbers_to_try(question)]
        else:
            labels = {label.inner_text().strip(): label for label in box.locator("label.MCButton").all()}
            answers = sorted(question["answers"], key=lambda a: a["correct"])  # the wrong ones first
            missing = [a["answer"] for a in answers if _plain(a["answer"]) not in labels]
            assert not missing, f"{at}: answers not shown: {missing} (shown: {list(labels)})"
            tries = [(labels[_plain(a["answer"])].click, a) for a in answers]
        for action, answer in tries:
            said, classes = _feedback_after(action, feedback)
            expected = _plain(answer["feedback"])
            verdict = "correct" if answer.get("correct") else "incorrect"
            assert said.startswith(expected) and verdict in classes, (
                f"{at}: answering {answer.get('answer', answer.get('value', answer.get('range', 'another number')))!r}"
                f" showed {said!r} ({classes}), expected {expected!r} ({verdict})")
        if question["type"] == "many_choice":
            right = sum(a["correct"] for a in question["answers"])
            assert said.endswith(f"[{right}/{right}]"), f"{at}: after every right answer it says {said!r}"


@pytest.mark.parametrize("name", QUIZ_PAGES)
def test_questions_answer_back(page, base_url, name):
    """Each question of the chapter, answered wrong in every way its file foresees and then right, shows the feedback
    of that answer, with no console error and no request off the machine (jupyterquiz's MathJax loader stays off)."""
    _, log = _open(page, base_url, name)
    _wait_rendered(page)
    root = page.locator("article .dlcourse-quiz")
    assert root.count() == 1, f"{name}.html shows {root.count()} blocks of questions, expected 1"
    assert not page.get_by_text('dlcourse.quiz.show("').count(), f"{name}.html shows the quiz cell's code"
    _answer_every_question(page, root, quiz.load(quiz.path_of(name, ROOT)), f"{name}.html")
    page.wait_for_timeout(700)  # jupyterquiz typesets 500 ms after showing: any late error or request arrives
    problems = log.problems()
    assert not problems, f"{name}.html: {len(problems)} problem(s) while answering:{_listing(problems)}"


def test_questions_work_by_keyboard_with_a_visible_focus(page, base_url):
    """Tab reaches a choice, whose label shows a focus ring and names it; Space and Enter answer; a numeric answer
    is typed and sent with Enter. The choices form a radio group named by the question; the field has its label."""
    _require_in_toc(NEURON)
    _, log = _open(page, base_url, NEURON)
    questions = quiz.load(quiz.path_of(NEURON, ROOT))
    boxes = page.locator("article .dlcourse-quiz .Quiz")
    boxes.nth(len(questions) - 1).wait_for(timeout=RENDER_TIMEOUT_MS)
    choices = [i for i, q in enumerate(questions) if q["type"] != "numeric"]
    numeric = next(i for i, q in enumerate(questions) if q["type"] == "numeric")

    def tab_into(i):
        # Start from the question's text (made focusable for the test only), as a reader going down the page.
        boxes.nth(i).locator("[id^=quizQn]").evaluate("el => { el.tabIndex = -1; el.focus(); }")
        page.keyboard.press("Tab")
        return page.evaluate("""() => { const el = document.activeElement, label = el.closest('label');
            const style = getComputedStyle(label || el);
            return {tag: el.tagName, type: el.type, label: label ? label.innerText.trim() : '',
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2}; }""")

    for i, key in zip(choices[:2], ["Space", "Enter"]):
        question, box = questions[i], boxes.nth(i)
        focused = tab_into(i)
        assert focused["tag"] == "INPUT" and focused["type"] == "radio", f"Tab reached {focused}, not a choice"
        assert focused["outline"], f"the focused choice {focused['label']!r} shows no focus ring"
        assert box.get_by_role("radio", name=focused["label"], exact=True).count() == 1, focused
        assert box.get_by_role("radiogroup", name=_plain(question["question"]), exact=True).count() == 1
        answer = next(a for a in question["answers"] if _plain(a["answer"]) == focused["label"])
        said, _ = _feedback_after(lambda: page.keyboard.press(key), box.locator(".Feedback"))
        assert said == _plain(answer["feedback"]), f"{key} on {focused['label']!r} showed {said!r}"
    focused = tab_into(numeric)
    assert focused["tag"] == "INPUT" and focused["type"] == "text" and focused["outline"], focused
    assert page.get_by_role("textbox", name="Type numeric answer here:").count() == len(
        [q for q in questions if q["type"] == "numeric"])
    right = next(a for a in questions[numeric]["answers"] if a.get("correct"))
    page.keyboard.type(repr(right["value"]))
    said, classes = _feedback_after(lambda: page.keyboard.press("Enter"), boxes.nth(numeric).locator(".Feedback"))
    assert said == _plain(right["feedback"]) and "correct" in classes, said
    assert boxes.nth(numeric).locator(".Feedback").get_attribute("aria-live") == "polite"
    assert not log.problems(), log.problems()


@pytest.mark.parametrize("mathjax", ["none, as in Colab's output frame", "JupyterLab 4's, without typeset()"])
def test_questions_work_offline_without_the_sites_mathjax(browser, mathjax):
    """The same output in a page without the site's MathJax: jupyterquiz would load one from a CDN where a MathJax
    without typeset() is present (JupyterLab 4 defines one); the stand-in keeps every request on the machine."""
    from test_quiz import EXAMPLE

    page = browser.new_page()
    log = PageLog()
    log.attach(page)
    before = "<script>window.MathJax = {version: '3.2.2'};</script>" if mathjax.startswith("JupyterLab") else ""
    try:
        page.set_content(f"<!DOCTYPE html><html><body>{before}<p>A notebook's output:</p>{quiz.markup(EXAMPLE)}"
                         "</body></html>")
        _answer_every_question(page, page.locator(".dlcourse-quiz"), EXAMPLE, f"a page with MathJax {mathjax}")
        page.wait_for_timeout(700)
        assert not log.problems(), log.problems()
    finally:
        page.close()
