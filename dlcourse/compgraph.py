"""Drawing the computational graph that a `dlcourse.autograd.Variable` expression recorded (chapter "Forward
propagation, loss and backpropagation").

Leaves (inputs and parameters) are boxes, every operation is a node labelled with what it computes and the shape of
its result, and arrows run in the direction of the forward pass; `show_grad` adds the norm of each value's
gradient (‖∇‖).
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from dlcourse.autograd import Variable

LEAF_COLOR, OP_COLOR, OUTPUT_COLOR = "#dbe9f6", "#fde7c8", "#f7d4d4"


def layers(root: Variable) -> list[list[Variable]]:
    """The graph's values in columns, each as late as possible: one column before its earliest consumer."""
    order = root.topological_order()
    depth = {id(root): 0}
    for node in reversed(order):  # consumers first, so a node's depth is final when its parents are reached
        for parent in node.parents:
            depth[id(parent)] = min(depth.get(id(parent), 0), depth[id(node)] - 1)
    first = min(depth.values())
    columns: list[list[Variable]] = [[] for _ in range(1 - first)]
    for node in order:
        columns[depth[id(node)] - first].append(node)
    return columns


def _heights(root: Variable, columns: list[list[Variable]]) -> dict[int, int]:
    """A row for every value: near its consumers, ops before leaves; a first operand goes above, others below."""
    order = root.topological_order()
    consumers: dict[int, list[tuple[Variable, int]]] = {id(n): [] for n in order}
    for node in order:
        for index, parent in enumerate(node.parents):
            consumers[id(parent)].append((node, index))
    ancestors = {id(n): len(n.topological_order()) for n in order}
    row: dict[int, int] = {id(root): 0}
    for column in reversed(columns):
        taken: set[int] = {row[id(n)] for n in column if id(n) in row}
        for node in sorted(column, key=lambda n: -ancestors[id(n)]):
            if id(node) in row:
                continue
            users = consumers[id(node)]
            wanted = round(sum(row[id(u)] for u, _ in users) / len(users))
            above = users[0][1] == 0
            offsets = [0] + [s * k for k in range(1, len(column) + 2) for s in ((1, -1) if above else (-1, 1))]
            row[id(node)] = next(wanted + o for o in offsets if wanted + o not in taken)
            taken.add(row[id(node)])
    return row


def _label(node: Variable, show_grad: bool) -> str:
    shape = "×".join(str(n) for n in node.shape) or "scalar"
    if not node.op:  # a leaf: its name, then its shape
        text = f"{node.name}\n{shape}"
    else:  # an operation: what it computes, then its result's name (if any) and shape
        text = f"{node.op}\n{node.name}: {shape}" if node.name else f"{node.op}\n{shape}"
    if show_grad and node.grad is not None:
        text += f"\n‖∇‖ {node.grad.double().norm().item():.2g}"
    return text


def draw_graph(root: Variable, ax=None, show_grad: bool = False, spacing: tuple[float, float] = (1.0, 1.0),
               fontsize: float = 9.0):
    """Draw the graph that produced `root`, forward pass from left to right; returns the axes."""
    columns = layers(root)
    ax = ax or plt.gca()
    rows = _heights(root, columns)
    position = {id(node): (x * spacing[0], rows[id(node)] * spacing[1])
                for x, column in enumerate(columns) for node in column}
    boxes = {}
    for node in root.topological_order():
        colour = OUTPUT_COLOR if node is root else (OP_COLOR if node.op else LEAF_COLOR)
        style = "round,pad=0.35" if node.op else "square,pad=0.35"
        text = ax.text(*position[id(node)], _label(node, show_grad), ha="center", va="center", fontsize=fontsize,
                       zorder=3, bbox=dict(boxstyle=style, facecolor=colour, edgecolor="#444444"))
        boxes[id(node)] = text.get_bbox_patch()
    for node in root.topological_order():
        for parent in node.parents:
            # clipped to the boxes' outlines so the heads show; drawn after the boxes, whose outlines are only
            # known once drawn
            ax.annotate("", xy=position[id(node)], xytext=position[id(parent)], zorder=4,
                        arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.0, shrinkA=1, shrinkB=1,
                                        patchA=boxes[id(parent)], patchB=boxes[id(node)]))
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    ax.set_xlim(min(xs) - 0.6 * spacing[0], max(xs) + 0.6 * spacing[0])
    ax.set_ylim(min(ys) - 0.7 * spacing[1], max(ys) + 0.7 * spacing[1])
    ax.axis("off")
    return ax
