"""dlcourse.transfer: freezing, counting, few-label sampling, the three strategies, and the offline sentence encoder."""
import socket

import pytest
import torch

from dlcourse import transfer


def test_freeze_and_count():
    model = transfer.Net(classes=5)
    total = sum(p.numel() for p in model.parameters())
    assert transfer.count_trainable(model) == total
    transfer.freeze(model.body)
    assert transfer.count_trainable(model) == 128 * 5 + 5
    assert model(torch.randn(3, 40)).shape == (3, 5)


def test_few_labels():
    y = torch.arange(100) % 4
    X = torch.arange(100).float()[:, None]
    Xs, ys = transfer.few_labels(X, y, 3, seed=0)
    assert torch.bincount(ys).tolist() == [3, 3, 3, 3]
    assert torch.equal(y[Xs.reshape(-1).long()], ys)


def test_target_models():
    pretrained = transfer.Net(classes=5)
    probe = transfer.target_model("linear probe", pretrained, classes=3)
    tuned = transfer.target_model("fine-tune", pretrained, classes=3)
    scratch = transfer.target_model("from scratch", pretrained, classes=3)
    first = lambda m: next(m.body.parameters())
    assert torch.equal(first(probe), first(pretrained)) and torch.equal(first(tuned), first(pretrained))
    assert not torch.equal(first(scratch), first(pretrained))
    assert transfer.count_trainable(probe) == 128 * 3 + 3
    assert all(p.requires_grad for p in tuned.parameters())
    assert all(p.requires_grad for p in pretrained.parameters())  # the pretrained model itself is untouched
    with pytest.raises(ValueError):
        transfer.target_model("distill", pretrained, classes=3)


def test_linear_probe_leaves_the_body_alone():
    torch.manual_seed(0)
    pretrained = transfer.Net(classes=2)
    X, y = torch.randn(20, 40), torch.arange(20) % 2
    accuracy = transfer.transfer_accuracy("linear probe", pretrained, (X, y), (X, y), epochs=5, device="cpu")
    assert 0.0 <= accuracy <= 1.0


def test_sentence_encoder_is_offline_and_quiet(monkeypatch, capfd):
    attempts = []

    def refuse(*args, **kwargs):  # recorded, since a library may catch the error and fall back quietly
        attempts.append(args)
        raise OSError("the sentence encoder tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    encoder = transfer.load_sentence_encoder("cpu")
    vectors = transfer.embed(encoder, ["It is raining again.", "Heavy snow tonight.", "The striker scored."])
    captured = capfd.readouterr()
    assert attempts == [], attempts
    import huggingface_hub.constants
    assert huggingface_hub.constants.HF_HUB_OFFLINE
    assert captured.err == "", captured.err
    assert vectors.shape == (3, 384)
    assert torch.allclose(vectors.norm(dim=1), torch.ones(3), atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2]  # two weather sentences are closer than weather and sport
