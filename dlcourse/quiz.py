"""Self-check questions: every chapter's "Check your understanding", shown with jupyterquiz.

A chapter's questions live next to its notebook, in `book/<part>/<slug>.quiz.json`, in jupyterquiz's JSON format:
a list of multiple-choice (one right answer), many-choice (several) and numeric questions, each answer with the
feedback that explains it. The notebook's cell `dlcourse.quiz.show("<slug>")` reads the file from the notebook's
folder; a learner edition carries the questions inline instead (`_ext/learner_edition.py`), so that it works alone
on Colab. `validate` refuses a file that would give a learner no explanation, or that a browser would show wrong.

The output is one HTML block that works on the website, in JupyterLab and on Colab, with no network:

- jupyterquiz's script runs with a stand-in for `MathJax` in its scope. The library typesets through the page's
  MathJax 3, and where it finds a MathJax without `typeset()` (as JupyterLab 4 has) it loads another from a CDN;
  the stand-in passes typesetting on to the page's own MathJax once that has started (the website's vendored copy)
  and otherwise does nothing. Questions write their math in Unicode (x₁, σ(z), ∂L/∂w, η < 2/L), which reads the
  same everywhere, so `validate` refuses TeX.
- Text is escaped (a `<` is a less-than sign, not a tag); `code` in backticks becomes code.
- Keyboard and screen readers: the choices are a named radio group whose focused option shows a ring, Enter
  chooses as Space does, the numeric field's label is tied to it, and the feedback is a live region; the colours
  keep WCAG AA contrast in light and dark themes.
"""
from __future__ import annotations

import html
import json
import random
import re
import string
from pathlib import Path

SUFFIX = ".quiz.json"
CHOICE_TYPES = {"multiple_choice", "many_choice"}
QUESTION_KEYS = {"question", "type", "answers", "precision", "answer_cols"}
CHOICE_KEYS = {"answer", "correct", "feedback"}
NUMERIC_KEYS = {"value": {"type", "value", "correct", "feedback"},
                "range": {"type", "range", "correct", "feedback"},
                "default": {"type", "feedback"}}
MIN_WRONG_WORDS = 5  # feedback on a wrong answer says why it is wrong, not only that it is
TEX = re.compile(r"\$|\\[(\[]|\\[a-zA-Z]+")
TAG = re.compile(r"<[A-Za-z/!]")

# jupyterquiz's palette, with the colours that missed WCAG AA contrast replaced (many-choice, correct, the input);
# CSS below fixes the rest (the field's text and label, the feedback's background in dark themes).
PALETTE = {
    "--jq-multiple-choice-bg": "#392061", "--jq-mc-button-bg": "#fafafa", "--jq-mc-button-border": "#e0e0e0",
    "--jq-mc-button-inset-shadow": "#555555", "--jq-many-choice-bg": "#9a3412", "--jq-numeric-bg": "#392061",
    "--jq-numeric-input-bg": "#ffffff", "--jq-numeric-input-label": "#101010",
    "--jq-numeric-input-shadow": "#999999", "--jq-string-bg": "#4c1a57", "--jq-incorrect-color": "#b3261e",
    "--jq-correct-color": "#1b6e2a", "--jq-text-color": "#fafafa", "--jq-link-color": "#9abafa",
}
CSS = """
.dlcourse-quiz .MCButton { position: relative; }
.dlcourse-quiz .MCButton input[type="radio"] {
  position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; pointer-events: none; }
.dlcourse-quiz .MCButton:focus-within, .dlcourse-quiz .Input-text:focus-visible {
  outline: 3px solid #1a5fb4; outline-offset: 2px; box-shadow: 0 0 0 6px #fafafa; }
.dlcourse-quiz .InpLabel { color: inherit; }
.dlcourse-quiz .Input-text { color: #111111; border: 1px solid #555555; }
.dlcourse-quiz .Input-text.correctButton, .dlcourse-quiz .Input-text.incorrectButton { color: #fafafa; }
.dlcourse-quiz .Feedback:not(:empty) {
  background: #fafafa; border-radius: 6px; padding: 6px 10px; margin-top: 6px; }
"""
STAND_IN = """
var MathJax = {version: "3", typeset: function (elements) {
  var page = window.MathJax;
  if (page && page.startup && page.startup.promise && page.typesetPromise) {
    page.startup.promise.then(function () { return page.typesetPromise(elements); });
  }
}};
"""
ACCESSIBLE = """
(function accessible() {
  var root = document.getElementById("%s");
  if (!root || !root.querySelector(".Quiz")) { setTimeout(accessible, 100); return; }
  root.querySelectorAll(".Quiz").forEach(function (quiz) {
    var answers = quiz.querySelector(".Answer"), question = quiz.querySelector("[id^=quizQn]");
    var input = answers.querySelector("input.Input-text"), label = answers.querySelector("label.InpLabel");
    if (input && label) {
      label.htmlFor = input.id;
    } else {
      answers.setAttribute("role", "radiogroup");
      if (question) answers.setAttribute("aria-labelledby", question.id);
    }
    quiz.querySelectorAll(".Feedback").forEach(function (fb) { fb.setAttribute("aria-live", "polite"); });
    answers.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); radio.click(); }
      });
    });
  });
})();
"""


class QuizError(ValueError):
    """A question file that would mislead or confuse a learner; the message lists every problem."""


def path_of(name: str, folder: str | Path = ".") -> Path:
    """Where the questions called `name` live: `<folder>/<name>.quiz.json`."""
    return Path(folder) / f"{name}{SUFFIX}"


def load(path: str | Path) -> list[dict]:
    """The validated questions of a file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no question file {path.resolve()}: run the notebook from its own folder (where its "
                                f"{path.name} is), or open its learner edition, which carries its questions")
    try:
        questions = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise QuizError(f"{path}: not valid JSON: {error}") from None
    return validate(questions, source=str(path))


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _significant(x: float, digits: int) -> float:
    """`x` to `digits` significant digits, as jupyterquiz compares a typed answer (JavaScript's toPrecision)."""
    return float(f"{x:.{digits - 1}e}")


def _text_problems(where: str, text, *, wrong: bool = False) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return [f"{where} is empty or not text"]
    problems = []
    if TEX.search(text):
        problems.append(f"{where} has TeX ({TEX.search(text).group()!r}): write math in Unicode (x₁, σ(z), ∂L/∂w, "
                        "√2, ≈), which JupyterLab and Colab show as it is")
    if TAG.search(text):
        problems.append(f"{where} has an HTML tag ({TAG.search(text).group()!r}): write plain text, code in backticks")
    if wrong and len(text.split()) < MIN_WRONG_WORDS:
        problems.append(f"{where} ({text!r}) should say why the answer is wrong, in at least {MIN_WRONG_WORDS} words")
    return problems


def _choice_problems(where: str, question: dict) -> list[str]:
    answers, problems = question["answers"], []
    if len(answers) < 2:
        return [f"{where}: a choice question needs at least 2 answers, it has {len(answers)}"]
    for j, answer in enumerate(answers, 1):
        at = f"{where}, answer {j}"
        if not isinstance(answer, dict):
            problems.append(f"{at} is not an object")
            continue
        if set(answer) - CHOICE_KEYS:
            problems.append(f"{at} has unknown keys {sorted(set(answer) - CHOICE_KEYS)} (allowed: {sorted(CHOICE_KEYS)})")
        if not isinstance(answer.get("correct"), bool):
            problems.append(f"{at} needs \"correct\": true or false")
        problems += _text_problems(f"{at}'s text", answer.get("answer"))
        problems += _text_problems(f"{at}'s feedback", answer.get("feedback"), wrong=answer.get("correct") is False)
    if problems:
        return problems
    texts = [a["answer"].strip() for a in answers]
    if len(set(texts)) < len(texts):
        problems.append(f"{where}: two answers read the same")
    right = sum(a["correct"] for a in answers)
    if question["type"] == "multiple_choice" and right != 1:
        problems.append(f"{where}: multiple_choice has exactly 1 correct answer, this one {right} "
                        "(use many_choice for several)")
    if question["type"] == "many_choice" and not 2 <= right < len(answers):
        problems.append(f"{where}: many_choice has at least 2 correct answers and at least 1 wrong one ({right} of "
                        f"{len(answers)} are correct)")
    return problems


def _numeric_problems(where: str, question: dict) -> list[str]:
    problems, precision = [], question.get("precision")
    if not (isinstance(precision, int) and not isinstance(precision, bool) and 1 <= precision <= 15):
        problems.append(f"{where}: a numeric question needs \"precision\", the significant digits compared (1 to 15)")
        precision = 15
    kinds: dict[str, list[dict]] = {"value": [], "range": [], "default": []}
    for j, answer in enumerate(question["answers"], 1):
        at = f"{where}, answer {j}"
        kind = answer.get("type") if isinstance(answer, dict) else None
        if kind not in NUMERIC_KEYS:
            problems.append(f"{at} needs \"type\": \"value\", \"range\" or \"default\"")
            continue
        if set(answer) - NUMERIC_KEYS[kind]:
            problems.append(f"{at} has unknown keys {sorted(set(answer) - NUMERIC_KEYS[kind])}")
        correct = answer.get("correct", False)
        if kind != "default" and not isinstance(correct, bool):
            problems.append(f"{at} needs \"correct\": true or false")
        if kind == "value" and not _number(answer.get("value")):
            problems.append(f"{at} needs a number as \"value\"")
        if kind == "range":
            bounds = answer.get("range")
            if not (isinstance(bounds, list) and len(bounds) == 2 and all(map(_number, bounds))
                    and bounds[0] < bounds[1]):
                problems.append(f"{at} needs \"range\": [low, high] with low < high")
            elif correct is not False:
                problems.append(f"{at}: a range is a wrong answer (\"correct\": false); the right one is a value")
        problems += _text_problems(f"{at}'s feedback", answer.get("feedback"), wrong=correct is not True)
        kinds[kind].append(answer)
    if problems:
        return problems
    right = [a for a in kinds["value"] if a["correct"]]
    if len(right) != 1:
        return [f"{where}: a numeric question has exactly 1 correct value, this one {len(right)}"]
    if len(kinds["default"]) != 1:
        problems.append(f"{where}: a numeric question has exactly 1 default answer (the feedback for any other number)")
    value = _significant(right[0]["value"], precision)
    for answer in kinds["value"]:
        if answer is not right[0] and _significant(answer["value"], precision) == value:
            problems.append(f"{where}: the wrong value {answer['value']} reads as the right one at precision {precision}")
    ranges = sorted(a["range"] for a in kinds["range"])
    for low, high in ranges:
        if low <= right[0]["value"] < high:
            problems.append(f"{where}: the wrong range [{low}, {high}] contains the right value {right[0]['value']}")
        inside = [a["value"] for a in kinds["value"] if not a["correct"] and low <= a["value"] < high]
        if inside:
            problems.append(f"{where}: the range [{low}, {high}] hides the wrong value(s) {inside}")
    for (_, high), (low, _) in zip(ranges, ranges[1:]):
        if low < high:
            problems.append(f"{where}: two wrong ranges overlap")
    return problems


def validate(questions, source: str = "questions") -> list[dict]:
    """Check a list of questions in jupyterquiz's format; return it, or raise QuizError naming every problem."""
    if not isinstance(questions, list) or not questions:
        raise QuizError(f"{source}: expected a non-empty list of questions, got {type(questions).__name__}")
    problems = []
    for i, question in enumerate(questions, 1):
        where = f"question {i}"
        if not isinstance(question, dict):
            problems.append(f"{where} is not an object")
            continue
        if isinstance(question.get("question"), str):
            where += f" ({question['question'][:40]!r})"
        if set(question) - QUESTION_KEYS:
            problems.append(f"{where} has unknown keys {sorted(set(question) - QUESTION_KEYS)}")
        problems += _text_problems(f"{where}'s text", question.get("question"))
        kind = question.get("type")
        if kind not in CHOICE_TYPES | {"numeric"}:
            problems.append(f"{where}: \"type\" must be multiple_choice, many_choice or numeric, not {kind!r}")
        elif not isinstance(question.get("answers"), list):
            problems.append(f"{where} needs a list of \"answers\"")
        elif kind == "numeric":
            problems += _numeric_problems(where, question)
        else:
            problems += _choice_problems(where, question)
    if problems:
        raise QuizError(f"{source}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))
    return questions


def _markup(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


def _for_page(item: dict) -> dict:
    """A question (or answer) with its text escaped for the page: jupyterquiz writes it as HTML."""
    page = {key: _markup(value) if key in ("question", "answer", "feedback") else value for key, value in item.items()}
    if "answers" in item:
        page["answers"] = [_for_page(answer) for answer in item["answers"]]
    return page


def markup(questions: list[dict]) -> str:
    """The HTML (markup, styles and script) that shows `questions`: validated, no network, keyboard-operable."""
    from jupyterquiz.dynamic.loader import load_questions_script
    from jupyterquiz.dynamic.renderer import build_script, build_styles, render_div

    validate(questions)
    div_id = "".join(random.choice(string.ascii_letters) for _ in range(12))
    prefix, static, url = load_questions_script([_for_page(q) for q in questions], div_id)
    script = build_script(prefix, static, url, div_id, load_js=True)
    if "</script" in script.lower() or "<!--" in script:
        raise RuntimeError("jupyterquiz's script would end the <script> element early: check its version")
    container = render_div(div_id, shuffle_questions=False, shuffle_answers=True, preserve_responses=False,
                           num=1_000_000, max_width=600, border_radius=10, question_alignment="left")
    return (f'<div class="dlcourse-quiz">{container}</div>{build_styles(div_id, PALETTE)}<style>{CSS}</style>'
            f"<script>(function () {{{STAND_IN}{script}{ACCESSIBLE % div_id}}})();</script></div>")


def show(questions: str | list[dict], folder: str | Path = ".") -> None:
    """Show a chapter's questions: `show("neuron")` reads `neuron.quiz.json` in `folder` (the notebook's, where the
    kernel runs); a list of questions (a learner edition's) is shown as it is."""
    from IPython.display import HTML, display

    if isinstance(questions, str):
        questions = load(path_of(questions, folder))
    display(HTML(markup(questions)))
