import torch

from dlcourse import audio


def test_tone_has_the_two_key_frequencies():
    wave = audio.tone("5", audio.SAMPLE_RATE)  # one second
    spectrum = torch.fft.rfft(wave).abs()
    peaks = sorted(spectrum.topk(2).indices.tolist())
    assert peaks == [770, 1336]


def test_dataset_shapes_and_labels():
    frames, labels, waves, texts = audio.dtmf_dataset(6, seed=2)
    assert frames.shape == (6, 101, audio.BINS) and labels.shape == (6, 101) and waves.shape == (6, 8000)
    for label_row, text in zip(labels, texts):
        assert 3 <= len(text) <= 5
        assert audio.collapse(label_row, min_run=1) == text


def test_collapse_merges_runs_and_drops_silence_and_blips():
    assert audio.collapse(torch.tensor([0, 3, 3, 0, 0, 3, 3, 1, 1, 0])) == "331"
    assert audio.collapse(torch.tensor([0, 3, 3, 5, 0, 2, 2])) == "32"  # a one-frame blip is dropped
    assert audio.collapse(torch.tensor([0, 0])) == ""


def test_tagger_learns_clean_clips():
    frames, labels, _, texts = audio.dtmf_dataset(200, noise=0.1, seed=0)
    from dlcourse.training import fit

    torch.manual_seed(0)
    tagger = audio.FrameTagger(hidden=16)
    x = (frames - frames.mean()) / frames.std()
    assert tagger(x).shape == (200, 101, 13)
    history = fit(tagger, (x, labels), epochs=6, loss=audio.frame_loss, metric=audio.frame_accuracy, lr=2e-2,
                  batch_size=32, device="cpu", progress=False, live_plot=False)
    assert history.train_metric[-1] >= 0.9
    assert 0 <= audio.sequence_accuracy(tagger, x, texts) <= 1
