"""Exercise checks of the chapter "Transfer learning": freezing the body for a linear probe, counting trainable
parameters."""
from __future__ import annotations

import torch
from torch import nn

from dlcourse.checks import Incorrect, call, exercise, expect_number, fresh_generator
from dlcourse.transfer import Net


def _model(g: torch.Generator | None = None) -> Net:
    """The chapter's model, or with `g` one of fresh sizes and depth (3 or 4 linear layers in the body, so an answer
    that freezes the fixed model's first four tensors, or its layers 0 and 2 by name, does not pass)."""
    if g is None:
        torch.manual_seed(0)
        body = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
        return Net(classes=3, body=body, features=8)
    state = torch.random.get_rng_state()
    torch.manual_seed(int(torch.randint(0, 2 ** 31, (), generator=g)))
    widths = [int(v) for v in torch.randint(2, 20, (int(torch.randint(4, 6, (), generator=g)),), generator=g)]
    layers: list[nn.Module] = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = Net(classes=int(torch.randint(2, 10, (), generator=g)), body=nn.Sequential(*layers), features=widths[-1])
    torch.random.set_rng_state(state)
    return model


def _frozen(parameters) -> list[bool]:
    return [not p.requires_grad for p in parameters]


@exercise("freeze the body", hint="Loop over model.body.parameters() and call requires_grad_(False) on each; "
                                  "leave model.head alone.")
def freeze_body(answer) -> str:
    """Check `answer(model)`: afterwards no parameter of `model.body` needs a gradient, every one of `model.head` does."""
    for case, model in enumerate((_model(), _model(fresh_generator()))):
        where = " (for a second, random model)" if case else ""
        # the reference first: which tensors are the body's and the head's, and their values
        body_named, head_params = list(model.body.named_parameters()), list(model.head.parameters())
        params = list(model.parameters())
        before = [p.detach().clone() for p in params]
        returned = call(answer, model)
        body, head = _frozen(p for _, p in body_named), _frozen(head_params)
        if not any(body) and not any(head):
            if isinstance(returned, nn.Module) and returned is not model and any(_frozen(returned.parameters())):
                raise Incorrect("you froze a copy and returned it; the model you were given is unchanged: "
                                "change it in place")
            raise Incorrect("no parameter was frozen: set requires_grad to False on the body's parameters" + where)
        if all(head) and not any(body):
            raise Incorrect("you froze the head instead of the body: a linear probe trains only the head" + where)
        if all(body) and all(head):
            raise Incorrect("you froze everything, the head too: nothing would train" + where)
        if any(head):
            raise Incorrect("some of the head's parameters are frozen; the head must stay trainable" + where)
        if not all(body):
            kinds = [name for name, p in body_named if p.requires_grad]
            raise Incorrect(f"part of the body is still trainable{where}: {', '.join(kinds)}")
        if any(not torch.equal(a, b.detach()) for a, b in zip(before, params)):
            raise Incorrect("the parameters' values changed: freezing only switches gradients off" + where)
    return "The body is frozen, the head trains: a linear probe on the pretrained features."


def _count_case(answer, model, where: str) -> int:
    """The learner's count for `model`, diagnosed unless it is the number of trainable elements."""
    # the reference first: the answer could switch requires_grad back on
    everything = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = everything - trainable
    tensors = sum(1 for p in model.parameters() if p.requires_grad)
    n_tensors = len(list(model.parameters()))
    got = call(answer, model)
    if got is None:
        raise Incorrect("your function returned None: did you forget to `return` the count?")
    got = expect_number(got, "your count" + where, whole=True)  # ints, numpy integers and 1-element tensors
    if got == trainable:
        return got
    if got == everything:
        raise Incorrect(f"{got} counts every parameter, frozen ones too{where}: keep only those with requires_grad")
    if got == frozen:
        raise Incorrect(f"{got} counts the frozen parameters, not the trainable ones{where}")
    if got in (tensors, n_tensors):
        raise Incorrect(f"{got} counts parameter tensors{where}; count their elements with p.numel()")
    raise Incorrect(f"got {got}, expected {trainable}{where}")


@exercise("count trainable parameters", hint="Sum p.numel() over model.parameters(), keeping only those with "
                                             "p.requires_grad.")
def count_trainable(answer) -> str:
    """Check `answer(model)`: the number of parameter elements that would be trained."""
    model = _model()
    for p in model.body.parameters():
        p.requires_grad_(False)
    everything = sum(p.numel() for p in model.parameters())  # before the answer runs: it may change the model
    trainable = _count_case(answer, model, "")
    got = call(answer, _model())
    if got is None:
        raise Incorrect("your function returned None for a model with nothing frozen: did you forget to `return` "
                        "the count?")
    if expect_number(got, "your count", whole=True) != everything:
        raise Incorrect("right for this model, but wrong for a model with nothing frozen")
    # a fresh model with a random part frozen, whose count differs from both of the fixed ones
    g = fresh_generator()
    while True:
        fresh = _model(g)
        params = list(fresh.parameters())
        keep = torch.rand(len(params), generator=g) < 0.5
        keep[int(torch.randint(0, len(params), (), generator=g))] = True  # at least one trains
        keep[int(torch.randint(0, len(params), (), generator=g))] = False  # at least one is frozen (maybe the same)
        for p, trains in zip(params, keep.tolist()):
            p.requires_grad_(trains)
        count = sum(p.numel() for p in params if p.requires_grad)
        if any(trains for trains in keep.tolist()) and count not in (trainable, everything):
            break
    _count_case(answer, fresh, " for a second, random model with some parameters frozen")
    return f"{trainable} of {everything} parameters train: the head's weights and biases."
