"""dlcourse.compgraph: the columns of a recorded graph and its drawing."""
import matplotlib.pyplot as plt
import torch

from dlcourse.autograd import Variable
from dlcourse.compgraph import draw_graph, layers


def small_network():
    leaves = {name: Variable(torch.randn(*shape, dtype=torch.float64), name=name) for name, shape in
              {"X": (4, 3), "W1": (5, 3), "b1": (5,), "W2": (2, 5), "b2": (2,), "Y": (4, 2)}.items()}
    z1 = leaves["X"] @ leaves["W1"].T + leaves["b1"]
    z2 = z1.tanh() @ leaves["W2"].T + leaves["b2"]
    return ((z2 - leaves["Y"]) ** 2).mean().named("L")


def test_columns_place_each_value_before_its_consumers():
    loss = small_network()
    columns = layers(loss)
    where = {id(v): k for k, column in enumerate(columns) for v in column}
    assert columns[-1] == [loss] and sum(len(c) for c in columns) == 16
    for column in columns:
        for node in column:
            assert all(where[id(p)] < where[id(node)] for p in node.parents)


def test_draw_graph_labels_every_value():
    loss = small_network()
    loss.backward()
    fig, ax = plt.subplots()
    draw_graph(loss, ax=ax, show_grad=True)
    texts = [t.get_text() for t in ax.texts if t.get_text()]  # arrows are empty annotations
    assert len(texts) == 16 and any(t.startswith("mean") and "L" in t for t in texts)
    assert all("‖∇‖" in t for t in texts) and any(t.startswith("W1\n5×3") for t in texts)
    plt.close(fig)


def test_a_single_leaf_draws():
    fig, ax = plt.subplots()
    draw_graph(Variable(1.0, name="x"), ax=ax)
    assert [t.get_text() for t in ax.texts if t.get_text()] == ["x\nscalar"]
    plt.close(fig)
