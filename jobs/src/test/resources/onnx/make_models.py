#!/usr/bin/python3
"""Writes the small ONNX models the tests run with ONNX Runtime, and their expected outputs.

Run with Debian's interpreter (python3-onnx, python3-numpy), from this directory:
    /usr/bin/python3 make_models.py
The weights come from a fixed numpy seed, so the files are reproducible. The expected outputs are computed here with
numpy alone (never with ONNX Runtime), so the tests check ONNX Runtime and our Java side against an independent
computation.

Models (input "features" [batch, width], float32):
  mlp.onnx        4 -> 5 (relu, output "hidden") -> 3 (output "logits"), and "probabilities" (softmax of logits);
                  mlp-expected.json holds 6 input rows and the three outputs for them.
  sample-10.onnx  784 -> 8 (relu, "hidden") -> 10 ("logits"): fits the Fashion-MNIST sample (784 features, 10 classes).
  sample-4.onnx   784 -> 8 (relu, "hidden") -> 4 ("logits"): the sample's width but 4 classes instead of 10.
  narrow-10.onnx  4 -> 5 (relu, "hidden") -> 10 ("logits"): the sample's classes but 4 features instead of 784.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp(name, width, hidden, classes, rng):
    w1 = rng.normal(0, 1 / np.sqrt(width), (width, hidden)).astype(np.float32)
    b1 = rng.normal(0, 0.1, hidden).astype(np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(hidden), (hidden, classes)).astype(np.float32)
    b2 = rng.normal(0, 0.1, classes).astype(np.float32)
    nodes = [
        helper.make_node("Gemm", ["features", "w1", "b1"], ["pre_hidden"]),
        helper.make_node("Relu", ["pre_hidden"], ["hidden"]),
        helper.make_node("Gemm", ["hidden", "w2", "b2"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", width])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes]),
         helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", hidden])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")])
    model = helper.make_model(graph, producer_name="distillery-tests",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))
    return w1, b1, w2, b2


def forward(x, w1, b1, w2, b2):
    """The same network in float64 numpy."""
    x = x.astype(np.float64)
    hidden = np.maximum(x @ w1.astype(np.float64) + b1, 0)
    logits = hidden @ w2.astype(np.float64) + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return hidden, logits, e / e.sum(axis=1, keepdims=True)


def main():
    rng = np.random.RandomState(7)
    params = mlp("mlp", 4, 5, 3, rng)
    x = rng.normal(0, 1, (6, 4)).astype(np.float32)
    hidden, logits, probs = forward(x, *params)
    with open(os.path.join(HERE, "mlp-expected.json"), "w") as f:
        json.dump({"features": x.tolist(), "hidden": hidden.tolist(), "logits": logits.tolist(),
                   "probabilities": probs.tolist()}, f, indent=1)
        f.write("\n")
    mlp("sample-10", 784, 8, 10, rng)
    mlp("sample-4", 784, 8, 4, rng)
    mlp("narrow-10", 4, 5, 10, rng)


if __name__ == "__main__":
    main()
