import random

import numpy as np
import torch

from dlcourse.seeding import seed_everything


def test_same_seed_same_numbers_in_every_library():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(2).tolist(), torch.rand(1, generator=gen).item()

    gen = seed_everything(7)
    first = draw()
    gen = seed_everything(7)
    assert draw() == first
    gen = seed_everything(8)
    assert draw() != first
