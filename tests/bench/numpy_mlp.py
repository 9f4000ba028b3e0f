"""Per-sample SGD epoch of 784-128-64-10 ReLU in NumPy (the peer for batch 1).

Usage: numpy_mlp.py IMAGES LABELS   (raw MNIST train IDX files)
Prints the epoch's seconds (training only) and its final-sample-average loss.
"""
import sys
import time

import numpy as np

images = np.fromfile(sys.argv[1], np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
labels = np.fromfile(sys.argv[2], np.uint8, offset=8)
rng = np.random.default_rng(1)
sizes = [784, 128, 64, 10]
W = [(rng.standard_normal((o, i)) * np.sqrt(2 / i)).astype(np.float32) for i, o in zip(sizes, sizes[1:])]
b = [np.zeros(o, np.float32) for o in sizes[1:]]
lr = np.float32(0.01)
loss = 0.0
start = time.perf_counter()
for s in rng.permutation(len(labels)):
    acts = [images[s]]
    for l in range(3):
        z = W[l] @ acts[-1] + b[l]
        acts.append(np.maximum(z, 0) if l < 2 else z)
    e = np.exp(acts[-1] - acts[-1].max())
    p = e / e.sum()
    loss -= np.log(p[labels[s]] + 1e-12)
    delta = p
    delta[labels[s]] -= 1
    for l in (2, 1, 0):
        grad_in = W[l].T @ delta if l > 0 else None
        W[l] -= lr * np.outer(delta, acts[l])
        b[l] -= lr * delta
        if l > 0:
            delta = grad_in * (acts[l] > 0)
print(f"{time.perf_counter() - start:.3f} {loss / len(labels):.4f}")
