import math

import torch

from dlcourse import language_model as lm
from dlcourse.training import fit

WORDS = ["anna", "bob", "abba", "ann", "bo"]


def test_vocabulary_and_encoding():
    vocab = lm.Vocabulary(WORDS)
    assert vocab.chars == [".", "a", "b", "n", "o"] and vocab.decode(vocab.encode("bob")) == "bob"
    X, Y = lm.encode_names(["bo", "anna"], vocab)
    assert X.shape == Y.shape == (2, 5)
    assert X[0].tolist() == [0, 2, 4, 0, 0] and Y[0].tolist() == [2, 4, 0, lm.IGNORE, lm.IGNORE]
    assert Y[1].tolist() == [1, 3, 3, 1, 0]


def test_split_is_a_partition():
    train, val = lm.split_names([str(i) for i in range(100)], 0.2, seed=1)
    assert len(val) == 20 and sorted(train + val, key=int) == [str(i) for i in range(100)]


def test_loss_ignores_padding_and_bits_are_nats_over_ln2():
    torch.manual_seed(0)
    vocab = lm.Vocabulary(WORDS)
    X, Y = lm.encode_names(WORDS, vocab)
    model = lm.CharLM(len(vocab), embedding=4, hidden=8, dropout=0.0)
    logits = model(X)
    mask = Y != lm.IGNORE
    manual = torch.nn.functional.cross_entropy(logits[mask], Y[mask])
    assert torch.allclose(lm.lm_loss(logits, Y), manual)
    assert abs(lm.bits_per_character(model, X, Y) - manual.item() / math.log(2)) < 1e-5


def test_bigram_baseline_uniform_without_data():
    vocab = lm.Vocabulary(WORDS)
    assert abs(lm.bigram_bits_per_character([], ["ab"], vocab) - math.log2(5)) < 1e-6
    assert lm.bigram_bits_per_character(WORDS * 20, WORDS, vocab, smoothing=0.01) < math.log2(5)


def test_training_lowers_bits_and_sampling_is_reproducible():
    vocab = lm.Vocabulary(WORDS)
    X, Y = lm.encode_names(WORDS * 10, vocab)
    torch.manual_seed(0)
    model = lm.CharLM(len(vocab), embedding=8, hidden=16, dropout=0.0)
    before = lm.bits_per_character(model, X, Y)
    fit(model, (X, Y), epochs=30, loss=lm.lm_loss, lr=2e-2, batch_size=None, device="cpu", progress=False,
        live_plot=False)
    assert lm.bits_per_character(model, X, Y) < before - 1
    first = lm.sample(model, vocab, n=5, temperature=0.5, seed=3)
    assert first == lm.sample(model, vocab, n=5, temperature=0.5, seed=3)
    assert all(set(w) <= set("abno") for w in first)
