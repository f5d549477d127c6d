"""dlcourse.text: generated sentences are balanced and reproducible, topics share no words, bags of words count."""
import torch

from dlcourse import text


def test_sentences_are_balanced_and_reproducible():
    sentences, labels = text.topic_sentences(80, seed=0)
    assert len(sentences) == 80 and torch.bincount(labels).tolist() == [20] * 4
    assert text.topic_sentences(80, seed=0)[0] == sentences
    assert text.topic_sentences(80, seed=1)[0] != sentences
    for sentence, label in zip(sentences, labels):
        topic_words = text.TOPICS[list(text.TOPICS)[label]]
        assert any(w in sentence.lower() for w in (t.lower() for t in topic_words)), sentence


def test_topics_share_no_words():
    words = {topic: {w for phrase in phrases for w in text.tokens(phrase)} - {"the", "a"}
             for topic, phrases in text.TOPICS.items()}
    topics = list(words)
    for i, a in enumerate(topics):
        for b in topics[i + 1:]:
            assert not words[a] & words[b], (a, b, words[a] & words[b])


def test_bag_of_words():
    vocab = text.vocabulary(["The cat sat.", "A cat!"])
    assert vocab == {"a": 0, "cat": 1, "sat": 2, "the": 3}
    counts = text.bag_of_words(["cat cat dog", "The sat"], vocab)
    assert counts.tolist() == [[0, 2, 0, 0], [0, 0, 1, 1]]
