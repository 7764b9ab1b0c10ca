#!/usr/bin/python3
"""LeNet-shaped models this project's tests never see, against ONNX Runtime.

Writes a few common LeNet variants with seeded random weights (what matters here is their
shapes, not their accuracy) into a scratch folder and runs `lenet-onnx-bench --compare-ort`
on each, then prints a line per model and batch: our images/s over ONNX Runtime's, our median
latency over theirs, and the largest difference between the two runtimes' outputs. The models are the ones people
publish: the ONNX model zoo's MNIST (SAME padding, a 3x3 pool), PyTorch's MNIST LeNet
(padding 2, gray 28x28), LeNet on gray 32x32, LeNet-5 with Tanh and AveragePool, Relu6 (Clip)
activations, a conv with a BatchNorm after it, tf2onnx's form of a Keras LeNet (NHWC
input, Transposes, MatMul+Add, Softmax), and the MNIST examples of PyTorch (examples/mnist)
and Keras (mnist_convnet), whose 3x3 convs of 32 and 64 channels do 5-10x LeNet's work.

Run from the repository root after building, with Debian's Python (python3-onnx,
python3-numpy):

    /usr/bin/python3 tools/bench_variants.py [--bench build/tools/lenet-onnx-bench]
        [--batch 1,256] [--seconds 2] [--keep DIR] [-- extra bench options]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

RNG = np.random.default_rng(20261126)


def weights(name, *shape):
    fan_in = int(np.prod(shape[1:]))
    return numpy_helper.from_array(
        (RNG.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32), name)


def bias(name, n):
    return numpy_helper.from_array((RNG.standard_normal(n) * 0.05).astype(np.float32), name)


def write(path, name, nodes, inits, input_shape):
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    save(model, path)


def conv(x, y, w, b, k, **attrs):
    return helper.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], **attrs)


def pool(op, x, y, k, s, **attrs):
    return helper.make_node(op, [x], [y], kernel_shape=[k, k], strides=[s, s], **attrs)


def act(op, x, y, inputs=()):
    return helper.make_node(op, [x, *inputs], [y])


def head(x, sizes, activation="Relu", extra_inputs=()):
    """Flatten, then Gemms of sizes[i] -> sizes[i + 1] with the activation between them."""
    nodes, inits, prev = [helper.make_node("Flatten", [x], ["flat"])], [], "flat"
    for i in range(len(sizes) - 1):
        out = "y" if i == len(sizes) - 2 else f"fc{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"fw{i}", f"fb{i}"], [out], transB=1))
        inits += [weights(f"fw{i}", sizes[i + 1], sizes[i]), bias(f"fb{i}", sizes[i + 1])]
        if out != "y":
            nodes.append(act(activation, out, f"fa{i}", extra_inputs))
            prev = f"fa{i}"
    return nodes, inits


def lenet(path, name, size, pad, activation="Relu", pool_op="MaxPool", extra_inputs=()):
    nodes = [conv("x", "c1", "w1", "b1", 5, pads=[pad] * 4),
             act(activation, "c1", "a1", extra_inputs),
             pool(pool_op, "a1", "p1", 2, 2),
             conv("p1", "c2", "w2", "b2", 5), act(activation, "c2", "a2", extra_inputs),
             pool(pool_op, "a2", "p2", 2, 2)]
    inits = [weights("w1", 6, 1, 5, 5), bias("b1", 6), weights("w2", 16, 6, 5, 5), bias("b2", 16)]
    if extra_inputs:
        inits += [numpy_helper.from_array(np.float32(0), "lo"),
                  numpy_helper.from_array(np.float32(6), "hi")]
    h_nodes, h_inits = head("p2", [400, 120, 84, 10], activation, extra_inputs)
    write(path, name, nodes + h_nodes, inits + h_inits, ["N", 1, size, size])


def zoo_mnist(path):
    nodes = [conv("x", "c1", "w1", "b1", 5, auto_pad="SAME_UPPER"), act("Relu", "c1", "a1"),
             pool("MaxPool", "a1", "p1", 2, 2),
             conv("p1", "c2", "w2", "b2", 5, auto_pad="SAME_UPPER"), act("Relu", "c2", "a2"),
             pool("MaxPool", "a2", "p2", 3, 3),
             helper.make_node("Reshape", ["p2", "shape"], ["flat"]),
             helper.make_node("MatMul", ["flat", "w3"], ["m"]),
             helper.make_node("Add", ["m", "b3"], ["y"])]
    inits = [weights("w1", 8, 1, 5, 5), bias("b1", 8), weights("w2", 16, 8, 5, 5), bias("b2", 16),
             numpy_helper.from_array(np.array([-1, 256], np.int64), "shape"),
             numpy_helper.from_array((RNG.standard_normal((256, 10)) / 16).astype(np.float32),
                                     "w3"),
             bias("b3", 10)]
    write(path, "zoo_mnist", nodes, inits, ["N", 1, 28, 28])


def conv_bn(path):
    nodes = [conv("x", "c1", "w1", "b1", 3, pads=[1] * 4),
             helper.make_node("BatchNormalization", ["c1", "s", "t", "m", "v"], ["n1"]),
             act("Relu", "n1", "a1"), pool("MaxPool", "a1", "p1", 2, 2),
             conv("p1", "c2", "w2", "b2", 3, pads=[1] * 4), act("Relu", "c2", "a2"),
             pool("MaxPool", "a2", "p2", 2, 2)]
    inits = [weights("w1", 32, 1, 3, 3), bias("b1", 32), weights("w2", 64, 32, 3, 3), bias("b2", 64)]
    inits += [numpy_helper.from_array(RNG.uniform(0.5, 1.5, 32).astype(np.float32), n)
              for n in ("s", "v")]
    inits += [numpy_helper.from_array((RNG.standard_normal(32) * 0.1).astype(np.float32), n)
              for n in ("t", "m")]
    h_nodes, h_inits = head("p2", [64 * 7 * 7, 128, 10])
    write(path, "conv_bn", nodes + h_nodes, inits + h_inits, ["N", 1, 28, 28])


def torch_examples_mnist(path):
    """PyTorch's examples/mnist Net: two unpadded 3x3 convs (32 and 64 channels), one pool,
    a 9216 -> 128 -> 10 head and LogSoftmax (dropout is gone in an inference export)."""
    nodes = [conv("x", "c1", "w1", "b1", 3), act("Relu", "c1", "a1"),
             conv("a1", "c2", "w2", "b2", 3), act("Relu", "c2", "a2"),
             pool("MaxPool", "a2", "p2", 2, 2)]
    inits = [weights("w1", 32, 1, 3, 3), bias("b1", 32), weights("w2", 64, 32, 3, 3), bias("b2", 64)]
    h_nodes, h_inits = head("p2", [9216, 128, 10])
    h_nodes[-1].output[0] = "logits"
    h_nodes.append(helper.make_node("LogSoftmax", ["logits"], ["y"], axis=1))
    write(path, "torch_examples_mnist", nodes + h_nodes, inits + h_inits, ["N", 1, 28, 28])


def keras_mnist_convnet(path):
    """Keras' mnist_convnet example (NCHW here): 3x3 convs of 32 and 64 channels, each pooled,
    one Dense layer and Softmax."""
    nodes = [conv("x", "c1", "w1", "b1", 3), act("Relu", "c1", "a1"),
             pool("MaxPool", "a1", "p1", 2, 2),
             conv("p1", "c2", "w2", "b2", 3), act("Relu", "c2", "a2"),
             pool("MaxPool", "a2", "p2", 2, 2)]
    inits = [weights("w1", 32, 1, 3, 3), bias("b1", 32), weights("w2", 64, 32, 3, 3), bias("b2", 64)]
    h_nodes, h_inits = head("p2", [1600, 10])
    h_nodes[-1].output[0] = "logits"
    h_nodes.append(helper.make_node("Softmax", ["logits"], ["y"], axis=1))
    write(path, "keras_mnist_convnet", nodes + h_nodes, inits + h_inits, ["N", 1, 28, 28])


def keras_nhwc(path):
    """tf2onnx's form of a Keras LeNet on gray NHWC input: Transposes around the convs, a
    Transpose back to NHWC before the flatten, MatMul+Add dense layers, Softmax."""
    to_nchw, to_nhwc = [0, 3, 1, 2], [0, 2, 3, 1]
    nodes = [helper.make_node("Transpose", ["x"], ["t0"], perm=to_nchw),
             conv("t0", "c1", "w1", "b1", 5), act("Relu", "c1", "a1"),
             pool("MaxPool", "a1", "p1", 2, 2),
             conv("p1", "c2", "w2", "b2", 5), act("Relu", "c2", "a2"),
             pool("MaxPool", "a2", "p2", 2, 2),
             helper.make_node("Transpose", ["p2"], ["t2"], perm=to_nhwc),
             helper.make_node("Reshape", ["t2", "shape"], ["flat"])]
    inits = [weights("w1", 32, 1, 5, 5), bias("b1", 32), weights("w2", 64, 32, 5, 5),
             bias("b2", 64), numpy_helper.from_array(np.array([-1, 1024], np.int64), "shape")]
    prev = "flat"
    for i, (k, n) in enumerate([(1024, 128), (128, 10)]):
        out = f"d{i}"
        nodes += [helper.make_node("MatMul", [prev, f"dw{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"db{i}"], [out])]
        inits += [numpy_helper.from_array(
            (RNG.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32), f"dw{i}"),
            bias(f"db{i}", n)]
        if i == 0:
            nodes.append(act("Relu", out, "r0"))
            prev = "r0"
    nodes.append(helper.make_node("Softmax", ["d1"], ["y"], axis=-1))
    write(path, "keras_nhwc", nodes, inits, ["N", 28, 28, 1])


VARIANTS = {
    "keras_gray_nhwc": keras_nhwc,
    "zoo_mnist": zoo_mnist,
    "torch_mnist_pad2": lambda p: lenet(p, "torch_mnist_pad2", 28, 2),
    "lenet_gray32": lambda p: lenet(p, "lenet_gray32", 32, 0),
    "lenet5_tanh_avg": lambda p: lenet(p, "lenet5_tanh_avg", 32, 0, "Tanh", "AveragePool"),
    "lenet_relu6": lambda p: lenet(p, "lenet_relu6", 28, 2, "Clip", extra_inputs=("lo", "hi")),
    "conv_bn": conv_bn,
    "torch_examples_mnist": torch_examples_mnist,
    "keras_mnist_convnet": keras_mnist_convnet,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default="build/tools/lenet-onnx-bench")
    parser.add_argument("--batch", default="1,256")
    parser.add_argument("--seconds", default="2")
    parser.add_argument("--keep", help="write the models here and keep them")
    parser.add_argument("extra", nargs="*", help="more lenet-onnx-bench options, after --")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="lenet-variants-")
    os.makedirs(folder, exist_ok=True)
    print(f"{'model':<20} {'batch':>5} {'ours/ORT images/s':>18} {'median latency vs ORT':>22} "
          f"{'max |ours - ORT|':>17}")
    for name, make in VARIANTS.items():
        path = os.path.join(folder, name + ".onnx")
        make(path)
        run = subprocess.run([args.bench, "--compare-ort", "--batch", args.batch, "--seconds",
                              args.seconds, *args.extra, path], capture_output=True, text=True)
        ratios = re.findall(r"^ratio\s+(\d+): ([\d.]+)x ORT's images/s.*median ([\d.]+)x",
                            run.stdout, re.M)
        agreement = dict(re.findall(r"^agreement\s+(\d+): outputs differ from ORT's by at most "
                                    r"(\S+)", run.stdout, re.M))
        if run.returncode != 0 or not ratios:
            print(f"{name:<20} failed: {(run.stderr or run.stdout).strip()[-300:]}")
            continue
        for batch, throughput, latency in ratios:
            print(f"{name:<20} {batch:>5} {throughput + 'x':>18} {latency + 'x':>22} "
                  f"{agreement.get(batch, '-'):>17}")
    if not args.keep:
        for entry in os.listdir(folder):
            os.remove(os.path.join(folder, entry))
        os.rmdir(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
