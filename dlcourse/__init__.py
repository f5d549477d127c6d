"""dlcourse: the helper package of the course "Into the Depths of Neural Networks".

Each module holds one idea and names the chapter that uses it: `device`, `seeding`, `data`, `training` (the one
`fit` loop), `plotting`, `widgets`, `compare` (from-scratch code against PyTorch), `checks` (exercise checks),
and the chapters' reference implementations: `activations`, `neuron`, `perceptron` (foundations); `losses`,
`backprop`, `autograd`, `autograd_nn`, `compgraph`, `optim`, `surfaces` (training); `depth`, `hardware`,
`distributed` (deep learning); `mlp`, `conv`, `shapes`, `rnn`, `language_model`, `seq2seq`, `audio`
(architectures); `init`, `gradients`, `regularization`, `transfer`, `text`, `gan`, `anomaly` (challenges);
`compression`, `attribution`, `rl`, `quantum` (future directions).
Every chapter starts with `device = dlcourse.setup()`.
"""
from __future__ import annotations

import torch

from dlcourse.device import device
from dlcourse.seeding import seed_everything

__version__ = "0.1.0"
__all__ = ["device", "seed_everything", "setup", "show_source", "__version__"]


def setup(seed: int = 0, quiet: bool = False) -> torch.device:
    """Seed everything, apply the course's plot style, pick the device and say which; returns the device."""
    from dlcourse.plotting import use_course_style

    seed_everything(seed)
    use_course_style()
    dev = device()
    if not quiet:
        print(f"dlcourse {__version__} · torch {torch.__version__} · device: {dev} · seed {seed}")
    return dev


def show_source(obj: object):
    """Display the source code of a dlcourse function or class in a notebook, highlighted."""
    import inspect

    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")
