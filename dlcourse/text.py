"""Generated short sentences about a few topics, and the bag-of-words features a model trained from scratch sees.

Every sentence is a topic-neutral template filled with two words from one topic's list, so only the meaning of those
words tells the topics apart. Used by the chapter "Transfer learning" (book/challenges/transfer-learning.ipynb).
"""
from __future__ import annotations

import random
import re

import torch
from torch import Tensor

from dlcourse import seeding

TOPICS: dict[str, list[str]] = {
    "sport": ["football", "tennis", "the goalkeeper", "the referee", "a marathon", "basketball", "the stadium",
              "the league final", "swimming", "the coach", "a penalty kick", "the cycling race", "the batter",
              "volleyball", "the sprinters", "a hat trick", "the rugby team", "the golf course", "the boxer",
              "a slam dunk", "the ski jump", "the hockey match", "the striker", "the Olympic trials"],
    "food": ["pasta", "the bakery", "fresh bread", "a spicy curry", "the chef", "chocolate cake", "the recipe",
             "roasted vegetables", "sushi", "the soup", "a cheese platter", "pancakes", "the barbecue",
             "garlic butter", "the dessert menu", "a fruit salad", "the noodles", "grilled salmon", "the oven",
             "olive oil", "the dumplings", "a lemon tart", "the spice market", "homemade jam"],
    "weather": ["the rain", "a thunderstorm", "the forecast", "heavy snow", "the heatwave", "strong winds",
                "the fog", "a hurricane", "the humidity", "frost", "the drought", "a rainbow", "the clouds",
                "hailstones", "the temperature", "a blizzard", "the sunshine", "a tornado", "the drizzle",
                "the monsoon", "icy roads", "the flood warning", "a cold front", "the storm"],
    "technology": ["the laptop", "a software update", "the smartphone", "the new processor", "a database",
                   "the website", "the programming language", "a robot", "the password", "the app", "the server",
                   "a virus scanner", "the keyboard", "the algorithm", "the cloud storage", "a compiler",
                   "the touchscreen", "the router", "a video game console", "the printer", "the chatbot",
                   "the operating system", "a hard drive", "the spreadsheet"],
}
"""Topic -> words and phrases that belong to it (no word is shared between topics)."""

TEMPLATES = [
    "Yesterday everyone was talking about {a} and {b}.",
    "My neighbour keeps telling me about {a}.",
    "I read a long article on {a} and {b} this morning.",
    "Nobody expected {a} to matter so much.",
    "We spent the whole evening discussing {a}.",
    "The news tonight was mostly about {a} and {b}.",
    "She wrote a short blog post about {a}.",
    "Have you heard what happened with {a}?",
    "Honestly, {a} was the highlight of my week.",
    "There was a podcast episode on {a} and {b}.",
    "My brother cannot stop thinking about {a}.",
    "The meeting ended with a debate about {b} and {a}.",
]
"""Topic-neutral sentence frames; {a} and {b} are filled with words of one topic."""


def topic_sentences(n: int, seed: int = 0, words: dict[str, list[str]] | None = None) -> tuple[list[str], Tensor]:
    """`n` generated sentences, cycling through the topics, and their topic labels (indices into TOPICS)."""
    words = words or TOPICS
    rng = random.Random(seeding.derive(seed))
    topics = list(words)
    sentences, labels = [], []
    for i in range(n):
        label = i % len(topics)
        a, b = rng.sample(words[topics[label]], 2)
        sentence = rng.choice(TEMPLATES).format(a=a, b=b)
        sentences.append(sentence[0].upper() + sentence[1:])
        labels.append(label)
    order = list(range(n))
    rng.shuffle(order)
    return [sentences[i] for i in order], torch.tensor([labels[i] for i in order])


def tokens(sentence: str) -> list[str]:
    """Lower-case words of `sentence`, punctuation dropped."""
    return re.findall(r"[a-z']+", sentence.lower())


def vocabulary(sentences: list[str]) -> dict[str, int]:
    """Word -> column index, for every word that occurs in `sentences` (sorted, so it is reproducible)."""
    return {word: i for i, word in enumerate(sorted({w for s in sentences for w in tokens(s)}))}


def bag_of_words(sentences: list[str], vocab: dict[str, int]) -> Tensor:
    """Word counts (N, len(vocab)); words outside `vocab` are ignored, as a model trained from scratch never saw them."""
    counts = torch.zeros(len(sentences), len(vocab))
    for row, sentence in enumerate(sentences):
        for word in tokens(sentence):
            if word in vocab:
                counts[row, vocab[word]] += 1
    return counts
