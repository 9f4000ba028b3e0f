"""Runs an exported ONNX model with onnxruntime and compares it with ours.

Usage: check.py MODEL.onnx PIXELS.u8 LOGITS.f32
  PIXELS.u8   N x P raw pixel bytes (the images fed to both)
  LOGITS.f32  N x classes float32 logits computed by mnist-dnn
Prints one JSON line: samples, largest logit difference, prediction and
probability agreement, and whether onnx.checker ran.
"""
import json
import sys

import numpy as np
import onnxruntime as ort

model_path, pixels_path, logits_path = sys.argv[1:4]
checked = False
try:
    import onnx

    onnx.checker.check_model(onnx.load(model_path), full_check=True)
    checked = True
except ImportError:
    pass

session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
width = session.get_inputs()[0].shape[1]
pixels = np.fromfile(pixels_path, np.uint8).reshape(-1, width).astype(np.float32)
ours = np.fromfile(logits_path, np.float32).reshape(pixels.shape[0], -1)
logits, probabilities = session.run(["logits", "probabilities"], {"pixels": pixels})
softmax = np.exp(ours - ours.max(1, keepdims=True))
softmax /= softmax.sum(1, keepdims=True)
print(json.dumps({
    "samples": int(pixels.shape[0]),
    "max_logit_diff": float(np.abs(logits - ours).max()),
    "same_predictions": bool((logits.argmax(1) == ours.argmax(1)).all()),
    "max_probability_diff": float(np.abs(probabilities - softmax).max()),
    "checker": checked,
}))
