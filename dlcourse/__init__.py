"""dlcourse: the helper package of the course "Into the Depths of Neural Networks".

Each module holds one idea and names the chapter that uses it: `device`, `seeding`, `data`, `training` (the one
`fit` loop), `plotting`, `widgets`, `compare` (from-scratch code against PyTorch), `checks` (exercise checks),
and the chapters' reference implementations: `activations`, `neuron`, `perceptron` (foundations); `losses`,
`backprop`, `autograd`, `autograd_nn`, `compgraph`, `optim`, `surfaces` (training); `depth`, `hardware`,
`distributed` (deep learning); `mlp`, `conv`, `shapes`, `rnn`, `language_model`, `seq2seq`, `audio`
(architectures); `init`, `gradients`, `regularization`, `transfer`, `text`, `gan`, `anomaly` (challenges);
`compression`, `attribution`, `rl`, `quantum` (future directions).
Every chapter starts with `device = dlcourse.setup()`; `dlcourse.seed(k)` seeds the generators with the run's k-th
seed, `dlcourse.claims.claim` states a measured result, and `dlcourse.quiz.show("<chapter>")` asks the chapter's
self-check questions.
"""
from __future__ import annotations

import torch

from dlcourse import quiz  # every chapter's questions cell calls dlcourse.quiz.show (light: IPython loads on use)
from dlcourse.device import device
from dlcourse.seeding import seed, seed_everything

__version__ = "0.1.0"
__all__ = ["device", "seed", "seed_everything", "setup", "show_source", "__version__"]


def setup(seed: int | None = None, quiet: bool = False) -> torch.device:
    """Set the run's base seed (None: `DLCOURSE_SEED`, else 0) and seed everything with it, set the CPU threads
    (`DLCOURSE_THREADS`), apply the course's plot style, describe every figure shown (alt text, `dlcourse.alt_text`), switch on Colab's widget manager where ipywidgets 8 needs
    it, pick the device and say which; returns the device."""
    from dlcourse import alt_text, seeding
    from dlcourse.plotting import use_course_style
    from dlcourse.widgets import enable_colab_widgets

    base = seeding.set_base(seed)
    seeding.seed(0)
    threads = seeding.set_threads()
    use_course_style()
    alt_text.install()
    enable_colab_widgets()
    dev = device()
    if not quiet:
        print(f"dlcourse {__version__} · torch {torch.__version__} · device: {dev} · seed {base} · "
              f"{threads} threads")
    return dev


def show_source(obj: object):
    """Display the source code of a dlcourse function or class in a notebook, highlighted."""
    import inspect

    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")
