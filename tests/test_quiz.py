"""The self-check questions (dlcourse.quiz): validate refuses what would mislead a learner, show displays the
questions offline, every chapter has its question file and shows it. (The browser tests are in test_site.py and
test_lab.py.)"""
from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from conftest import ROOT
from dlcourse import quiz

EXAMPLE = [
    {"question": "Which activation has a slope of at most 1/4?", "type": "multiple_choice", "answers": [
        {"answer": "the sigmoid σ(z)", "correct": True, "feedback": "Yes: σ′(z) = σ(z)(1 − σ(z)) ≤ 1/4."},
        {"answer": "ReLU", "correct": False, "feedback": "No: ReLU's slope is 1 wherever z > 0."}]},
    {"question": "Which are piecewise linear?", "type": "many_choice", "answers": [
        {"answer": "ReLU", "correct": True, "feedback": "Yes: two straight pieces."},
        {"answer": "leaky ReLU", "correct": True, "feedback": "Yes: two straight pieces, one of slope α."},
        {"answer": "tanh", "correct": False, "feedback": "No: tanh curves everywhere, it has no straight piece."}]},
    {"question": "What is σ′(0)?", "type": "numeric", "precision": 2, "answers": [
        {"type": "value", "value": 0.25, "correct": True, "feedback": "Right: σ(0)(1 − σ(0)) = 1/2 · 1/2."},
        {"type": "value", "value": 0.5, "correct": False, "feedback": "That is σ(0) itself, not its slope."},
        {"type": "range", "range": [0.75, 1.5], "correct": False, "feedback": "Too large: no sigmoid slope reaches 1."},
        {"type": "default", "feedback": "Not quite: use σ′ = σ(1 − σ) at σ(0) = 1/2."}]},
]


def example() -> list[dict]:
    return copy.deepcopy(EXAMPLE)


def toc_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f for f in files if (ROOT / f"{f}.ipynb").exists() and f != "book/setup"]


CHAPTERS = toc_chapters()
QUIZ_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "book").rglob(f"*{quiz.SUFFIX}"))


def test_a_valid_file_passes_unchanged():
    questions = example()
    assert quiz.validate(questions) is questions and questions == EXAMPLE


def _set(path, value):
    def change(questions):
        *keys, last = path
        target = questions
        for key in keys:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return change


BROKEN = {
    "one answer": (_set([0, "answers"], [EXAMPLE[0]["answers"][0]]), "needs at least 2 answers"),
    "two right answers in multiple_choice": (_set([0, "answers", 1, "correct"], True), "exactly 1 correct answer"),
    "no right answer": (_set([0, "answers", 0, "correct"], False), "exactly 1 correct answer"),
    "many_choice with one right answer": (_set([1, "answers", 1, "correct"], False), "at least 2 correct answers"),
    "many_choice with no wrong answer": (_set([1, "answers", 2, "correct"], True), "at least 1 wrong one"),
    "no feedback": (_set([0, "answers", 1, "feedback"], KeyError), "answer 2's feedback is empty"),
    "a bare verdict": (_set([0, "answers", 1, "feedback"], "Wrong, try again."), "say why the answer is wrong"),
    "no correct flag": (_set([0, "answers", 1, "correct"], KeyError), "needs \"correct\""),
    "TeX math": (_set([0, "question"], "What is $\\sigma'(0)$?"), "write math in Unicode"),
    "a TeX command": (_set([0, "answers", 0, "feedback"], "Yes: \\sigma is flat."), "has TeX"),
    "an HTML tag": (_set([0, "question"], "Is <b>this</b> bold?"), "HTML tag"),
    "a typo in a key": (_set([0, "answers", 0, "feedbak"], "x"), "unknown keys ['feedbak']"),
    "two answers alike": (_set([0, "answers", 1, "answer"], "the sigmoid σ(z)"), "two answers read the same"),
    "an unknown type": (_set([0, "type"], "true_false"), "must be multiple_choice, many_choice or numeric"),
    "no precision": (_set([2, "precision"], KeyError), "needs \"precision\""),
    "no right value": (_set([2, "answers", 0, "correct"], False), "exactly 1 correct value"),
    "no default": (_set([2, "answers", 3], {"type": "value", "value": 7, "correct": False,
                                             "feedback": "Seven is far too large for a slope."}),
                   "exactly 1 default answer"),
    "a range around the right value": (_set([2, "answers", 2, "range"], [0.2, 0.3]), "contains the right value"),
    "an empty range": (_set([2, "answers", 2, "range"], [1.5, 0.75]), "low < high"),
    "a wrong value that rounds to the right one": (_set([2, "answers", 1, "value"], 0.2501), "reads as the right"),
    "a right range": (_set([2, "answers", 2, "correct"], True), "a range is a wrong answer"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_file_is_refused_with_a_clear_reason(case):
    change, reason = BROKEN[case]
    questions = example()
    change(questions)
    with pytest.raises(quiz.QuizError, match=re.escape(reason)):
        quiz.validate(questions, source="broken.quiz.json")


def test_every_problem_is_listed_at_once():
    questions = example()
    questions[0]["answers"][1]["feedback"] = ""
    questions[2]["precision"] = 0
    with pytest.raises(quiz.QuizError) as error:
        quiz.validate(questions, source="two.quiz.json")
    message = str(error.value)
    assert message.startswith("two.quiz.json: 2 problem(s)") and "feedback is empty" in message
    assert "precision" in message


@pytest.mark.parametrize("value", [None, [], {"question": "x"}])
def test_the_file_must_be_a_list_of_questions(value):
    with pytest.raises(quiz.QuizError, match="non-empty list"):
        quiz.validate(value)


def test_load_names_a_missing_file_and_bad_json(tmp_path):
    with pytest.raises(FileNotFoundError, match="learner edition"):
        quiz.load(tmp_path / "nothing.quiz.json")
    (tmp_path / "bad.quiz.json").write_text('[{"question": "x",}]')
    with pytest.raises(quiz.QuizError, match="not valid JSON"):
        quiz.load(tmp_path / "bad.quiz.json")


def test_markup_escapes_text_and_keeps_jupyterquiz_away_from_the_network():
    questions = example()
    questions[0]["question"] = "Is `w·x + b` < 0 & why?"
    page = quiz.markup(questions)
    assert "Is <code>w·x + b</code> &lt; 0 &amp; why?" in json.loads(re.search(r"var questions\w+=(\[.*?\]);",
                                                                               page).group(1))[0]["question"]
    script = page[page.index("<script>"):]
    # jupyterquiz's code runs inside one function whose scope has the stand-in MathJax, defined before it
    assert script.startswith("<script>(function () {\nvar MathJax = {version: \"3\", typeset:")
    assert script.index("var MathJax") < script.index("function show_questions") < script.index("cdn.jsdelivr")
    assert script.rstrip().endswith("})();</script></div>") and script.count("<script>") == 1


def test_show_reads_the_file_next_to_the_notebook_or_takes_the_questions(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    (tmp_path / "neuron.quiz.json").write_text(json.dumps(EXAMPLE, ensure_ascii=False))
    quiz.show("neuron", folder=tmp_path)
    monkeypatch.chdir(tmp_path)
    quiz.show("neuron")
    quiz.show(example())
    assert len(shown) == 3 and all('class="dlcourse-quiz"' in s.data for s in shown)
    assert all("Which activation has a slope" in s.data for s in shown)
    with pytest.raises(quiz.QuizError):
        quiz.show([{"question": "x", "type": "numeric", "answers": []}])


@pytest.mark.parametrize("path", QUIZ_FILES)
def test_every_question_file_is_valid_and_sits_next_to_its_chapter(path):
    questions = quiz.load(ROOT / path)
    assert path.removesuffix(quiz.SUFFIX) in CHAPTERS, f"{path} is not next to a chapter of _toc.yml"
    assert len(questions) >= 3


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_has_at_least_three_questions(chapter):
    path = ROOT / f"{chapter}{quiz.SUFFIX}"
    assert path.exists(), f"{chapter} has no {path.name} next to it"
    assert len(quiz.load(path)) >= 3, f"{path.name}: at least three questions per chapter"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_shows_its_questions_before_what_it_measured(chapter):
    cells = json.loads((ROOT / f"{chapter}.ipynb").read_text())["cells"]
    source = ["".join(c["source"]) for c in cells]
    call = f'dlcourse.quiz.show("{chapter.rsplit("/", 1)[1]}")'
    shown = [i for i, text in enumerate(source) if "dlcourse.quiz.show(" in text]
    assert len(shown) == 1 and source[shown[0]] == call, f"{chapter}: one cell `{call}`, found {shown}"
    i = shown[0]
    assert "remove-input" in cells[i]["metadata"].get("tags", []), f"{chapter}: tag the quiz cell remove-input"
    assert cells[i - 1]["cell_type"] == "markdown" and source[i - 1].startswith("## Check your understanding")
    assert source[i + 1] == "dlcourse.claims.measured()", f"{chapter}: the questions come before the claims box"
