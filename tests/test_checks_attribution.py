"""Checks of the chapter "Interpretable models" (dlcourse.checks.attribution): the notebook's own solutions pass,
its stubs report "not attempted", and typical wrong answers get the right diagnosis."""
import torch
import torch.nn.functional as F

from dlcourse import attribution
from dlcourse.checks import CORRECT, NOT_ATTEMPTED
from dlcourse.checks import attribution as check

from conftest import diagnosis, run_tagged

NOTEBOOK = "future/interpretability.ipynb"


def test_solutions_shown_in_the_notebook_pass():
    ns = run_tagged(NOTEBOOK, "solution", torch=torch, check=check)
    assert check.integrated_gradients(ns["integrated_gradients_solution"]).status == CORRECT
    assert check.saliency(ns["saliency_solution"]).status == CORRECT


def test_stubs_in_the_notebook_are_not_attempted():
    ns = run_tagged(NOTEBOOK, "exercise-stub", torch=torch, check=check)
    assert check.integrated_gradients(ns["integrated_gradients"]).status == NOT_ATTEMPTED
    assert check.saliency(ns["saliency"]).status == NOT_ATTEMPTED


def _gradient(model, x, score):
    x = x.detach().clone().requires_grad_(True)
    score(model(x[None])).sum().backward()
    return x.grad


def test_saliency_mistakes():
    diagnosis(check.saliency(lambda m, x, c: _gradient(m, x, lambda z: z[:, c])), "signed")
    diagnosis(check.saliency(lambda m, x, c: _gradient(m, x, lambda z: F.softmax(z, -1)[:, c]).abs()), "softmax")
    diagnosis(check.saliency(lambda m, x, c: _gradient(m, x, lambda z: F.cross_entropy(z, torch.tensor([c]))).abs()),
              "cross-entropy")
    diagnosis(check.saliency(lambda m, x, c: _gradient(m, x, lambda z: z.sum(-1)).abs()), "sum of all logits")
    diagnosis(check.saliency(lambda m, x, c: (x * _gradient(m, x, lambda z: z[:, c])).abs()), "times input")
    diagnosis(check.saliency(lambda m, x, c: m(x)), "RuntimeError")  # forgot the batch dimension
    diagnosis(check.saliency(lambda m, x, c: None), "return")
    predicted = lambda m, x, c: _gradient(m, x, lambda z: z[:, z.argmax(-1).item()]).abs()  # noqa: E731
    diagnosis(check.saliency(predicted), "predicted class")
    diagnosis(check.saliency(lambda m, x, c: torch.full_like(x, float("nan"))), "NaN")
    diagnosis(check.saliency(lambda m, x, c: [1.0] * 3), "shape")


def _ig(f, x, baseline, steps, alphas=None, multiply=True, start=None):
    start = baseline if start is None else start
    alphas = torch.arange(1, steps + 1, dtype=x.dtype) / steps if alphas is None else alphas
    path = (start + alphas.reshape(-1, 1, 1, 1) * (x - start)).requires_grad_(True)
    (grads,) = torch.autograd.grad(f(path).sum(), path)
    return (x - baseline) * grads.mean(0) if multiply else grads.mean(0)


def test_integrated_gradients_mistakes():
    diagnosis(check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, m, multiply=False)), "(x - baseline)")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: x * _ig(f, x, b, m, multiply=False)), "multiplied by x")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: m * _ig(f, x, b, m)), "divide by steps")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, 1)), "gradient times input")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, m, torch.arange(m, dtype=x.dtype) / m)),
              "left endpoints")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, m, start=torch.zeros_like(x))),
              "starts at 0")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: x), "differs")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, m, torch.linspace(0, 1, m, dtype=x.dtype))),
              "both ends")
    trapezoid = lambda f, x, b, m: (_ig(f, x, b, m) + _ig(f, x, b, m, torch.arange(m, dtype=x.dtype) / m)) / 2  # noqa
    diagnosis(check.integrated_gradients(trapezoid), "trapezoid")
    diagnosis(check.integrated_gradients(lambda f, x, b, m: "abc"), "tensor")


def _saliency_solution(m, x, c):
    return _gradient(m, x, lambda z: z[:, c]).abs()


def test_saliency_that_hard_codes_the_target_or_meddles_with_state():
    """Issue 17: one fixed target passed a hard-coded 3; model.float() or grad mode left off broke the reference."""
    assert check.saliency(_saliency_solution).status == CORRECT
    diagnosis(check.saliency(lambda m, x, c: _saliency_solution(m, x, 3)), "use the `target`")

    def floats_the_model(m, x, c):
        m.float()  # in place, on the model it was given
        return _saliency_solution(m, x.float(), c).double()

    assert check.saliency(floats_the_model).status == CORRECT

    def leaves_grad_off(m, x, c):
        result = _saliency_solution(m, x, c)
        torch.set_grad_enabled(False)
        return result

    assert check.saliency(leaves_grad_off).status == CORRECT
    assert torch.is_grad_enabled()


def test_integrated_gradients_that_hard_code_steps_return_lists_or_meddle():
    """Issue 17: steps was always 20, so a hard-coded 20 passed; a list crashed the completeness line."""
    diagnosis(check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, 20)), "20 steps")
    assert check.integrated_gradients(lambda f, x, b, m: _ig(f, x, b, m).tolist()).status == CORRECT

    def leaves_grad_off(f, x, b, m):
        result = _ig(f, x, b, m)
        torch.set_grad_enabled(False)
        return result

    assert check.integrated_gradients(leaves_grad_off).status == CORRECT
    from dlcourse.checks import attribution as module
    replay = attribution.integrated_gradients(module._model(), module._X, module._TARGET, module._B, 20)
    diagnosis(check.integrated_gradients(lambda f, x, b, m: replay))
