"""Exercise checks of the chapter "Transfer learning": freezing the body for a linear probe, counting trainable
parameters."""
from __future__ import annotations

import torch
from torch import nn

from dlcourse.checks import Incorrect, call, exercise, expect_number
from dlcourse.transfer import Net


def _model() -> Net:
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
    return Net(classes=3, body=body, features=8)


def _frozen(module: nn.Module) -> list[bool]:
    return [not p.requires_grad for p in module.parameters()]


@exercise("freeze the body", hint="Loop over model.body.parameters() and call requires_grad_(False) on each; "
                                  "leave model.head alone.")
def freeze_body(answer) -> str:
    """Check `answer(model)`: afterwards no parameter of `model.body` needs a gradient, every one of `model.head` does."""
    model = _model()
    before = [p.detach().clone() for p in model.parameters()]
    returned = call(answer, model)
    body, head = _frozen(model.body), _frozen(model.head)
    if not any(body) and not any(head):
        if isinstance(returned, nn.Module) and returned is not model and any(_frozen(returned)):
            raise Incorrect("you froze a copy and returned it; the model you were given is unchanged: "
                            "change it in place")
        raise Incorrect("no parameter was frozen: set requires_grad to False on the body's parameters")
    if all(head) and not any(body):
        raise Incorrect("you froze the head instead of the body: a linear probe trains only the head")
    if all(body) and all(head):
        raise Incorrect("you froze everything, the head too: nothing would train")
    if any(head):
        raise Incorrect("some of the head's parameters are frozen; the head must stay trainable")
    if not all(body):
        kinds = [name for name, p in model.body.named_parameters() if p.requires_grad]
        raise Incorrect(f"part of the body is still trainable: {', '.join(kinds)}")
    if any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters())):
        raise Incorrect("the parameters' values changed: freezing only switches gradients off")
    return "The body is frozen, the head trains: a linear probe on the pretrained features."


@exercise("count trainable parameters", hint="Sum p.numel() over model.parameters(), keeping only those with "
                                             "p.requires_grad.")
def count_trainable(answer) -> str:
    """Check `answer(model)`: the number of parameter elements that would be trained."""
    model = _model()
    for p in model.body.parameters():
        p.requires_grad_(False)
    # the reference first: the answer could switch requires_grad back on
    everything = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = everything - trainable
    tensors = sum(1 for p in model.parameters() if p.requires_grad)
    n_tensors = len(list(model.parameters()))
    got = call(answer, model)
    if got is None:
        raise Incorrect("your function returned None: did you forget to `return` the count?")
    got = expect_number(got, "your count", whole=True)  # ints, numpy integers (np.int64) and 1-element tensors
    if got == trainable:
        if expect_number(call(answer, _model()), "your count", whole=True) != everything:
            raise Incorrect("right for this model, but wrong for a model with nothing frozen")
        return f"{trainable} of {everything} parameters train: the head's weights and biases."
    if got == everything:
        raise Incorrect(f"{got} counts every parameter, frozen ones too: keep only those with requires_grad")
    if got == frozen:
        raise Incorrect(f"{got} counts the frozen parameters, not the trainable ones")
    if got in (tensors, n_tensors):
        raise Incorrect(f"{got} counts parameter tensors; count their elements with p.numel()")
    raise Incorrect(f"got {got}, expected {trainable}")
