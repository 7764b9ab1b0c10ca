#!/usr/bin/python3
"""Train the LeNet-style Fashion-MNIST classifier and produce the committed
model, samples and test fixtures of lenet-onnx.

Run from the repository root with Debian's Python (it has torch and onnx):

    /usr/bin/python3 tools/train_lenet.py              # train + export everything
    /usr/bin/python3 tools/train_lenet.py --export-only  # reuse models/lenet_state.pt
    /usr/bin/python3 tools/train_lenet.py --export-variants  # exporter matrix only
    python3 tools/train_lenet.py --add-metadata-only  # metadata_props into models/lenet.onnx

Inputs: Debian's dataset-fashion-mnist package
(/usr/share/datasets/fashion-mnist/*.gz).

Outputs (all relative to the repository root):
    models/lenet_state.pt            PyTorch state_dict (lets exports skip training)
    models/lenet.onnx                ONNX model, opset 13, dynamic batch
    models/lenet-labels.txt          the 10 class names, one per line
    models/README.md                 how the model was made, preprocessing, accuracy
    samples/NNNNN-<label>.png        20 test images, 32x32 8-bit gray (padding baked in)
    tests/fixtures/lenet_torch_outputs.json   PyTorch float32 logits for the samples
    tests/fixtures/png/*             PNG-format fixtures for the C PNG decoder

--export-variants writes only (no training, nothing above is touched; it needs
models/lenet_state.pt, samples/ and tests/fixtures/lenet_torch_outputs.json):
    tests/fixtures/exports/*.onnx    the same weights exported at several opsets
                                     and with different flatten / batch / input styles
    tests/fixtures/exports/manifest.json, README.md

--export-architectures writes only (about five minutes of CPU training; it needs
models/lenet_state.pt, samples/ and the Fashion-MNIST training split):
    tests/fixtures/exports/{keras_lenet_nhwc,lenet5_*,mnist_cnn_bn_*}.onnx
                                     other architectures (NHWC, 1-channel gray, Tanh,
                                     AveragePool, Pad, BatchNorm, LeakyRelu, MatMul, Softmax
                                     and LogSoftmax heads), each with its own
    tests/fixtures/exports/*_outputs.json   reference outputs for the 20 samples
    tests/fixtures/exports/ARCHITECTURES.md, and their entries in manifest.json
Both steps keep each other's files and manifest entries.

--add-metadata-only rewrites only models/lenet.onnx's metadata_props (preprocessing and
labels, see MODEL_METADATA and docs/model-metadata.md) without retraining or re-exporting.
It needs neither torch nor onnx (tools/onnx_wire.py edits the protobuf wire format), is
deterministic, and is also applied after every export.
"""

import argparse
import gzip
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_wire  # noqa: E402  (protobuf-free; tools/onnx_wire.py)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ONNX_PATH = "models/lenet.onnx"
LABELS = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

# What lenet-onnx-run needs to use the model with no options (docs/model-metadata.md):
# ONNX's image keys (onnx/docs/MetadataProps.md) and lenet-onnx's own. The samples are 8-bit
# gray, replicated to the model's 3 channels; x/255 is normalised with mean 0.5 / std 0.5,
# which is ONNX's "Normalized_1_1" range, also spelled out in lenet_onnx.mean/std.
MODEL_METADATA = [
    ("Image.BitmapPixelFormat", "Rgb8"),
    ("Image.ColorSpaceGamma", "SRGB"),
    ("Image.NominalPixelRange", "Normalized_1_1"),
    ("lenet_onnx.mean", "0.5"),
    ("lenet_onnx.std", "0.5"),
    ("lenet_onnx.labels", "\n".join(LABELS)),
]


def add_metadata(path=None):
    """Replaces the metadata_props of the ONNX file (default: the bundled model)."""
    path = path or os.path.join(ROOT, ONNX_PATH)
    with open(path, "rb") as f:
        data = f.read()
    updated = onnx_wire.with_metadata(data, MODEL_METADATA)
    if updated != data:
        with open(path, "wb") as f:
            f.write(updated)
    print("%s: metadata_props: %s" % (os.path.relpath(path, ROOT),
                                      ", ".join(k for k, _ in MODEL_METADATA)))


if __name__ == "__main__" and sys.argv[1:] == ["--add-metadata-only"]:
    add_metadata()
    sys.exit(0)

import numpy as np
import png  # pypng
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN = 0.5
STD = 0.5
SEED = 20240601

STATE_PATH = "models/lenet_state.pt"
LABELS_PATH = "models/lenet-labels.txt"
README_PATH = "models/README.md"
SAMPLES_DIR = "samples"
FIXTURE_JSON = "tests/fixtures/lenet_torch_outputs.json"
PNG_FIXTURE_DIR = "tests/fixtures/png"
EXPORTS_DIR = "tests/fixtures/exports"


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.fc1 = nn.Linear(800, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 800)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)  # raw logits


# ---------------------------------------------------------------- data

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte
        raise ValueError("%s: unexpected idx type 0x%x" % (path, magic))
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(name):
    images = read_idx(os.path.join(DATA_DIR, "%s-images-idx3-ubyte.gz" % name))
    labels = read_idx(os.path.join(DATA_DIR, "%s-labels-idx1-ubyte.gz" % name))
    assert images.shape[0] == labels.shape[0]
    return images, labels.astype(np.int64)


def pad32(images_u8):
    """uint8 N x 28 x 28 -> uint8 N x 32 x 32 with 2 pixels of zeros each side."""
    return np.pad(images_u8, ((0, 0), (2, 2), (2, 2)), mode="constant")


def to_tensor(gray32_u8):
    """uint8 N x 32 x 32 -> float32 N x 3 x 32 x 32, /255, replicated, normalised."""
    x = gray32_u8.astype(np.float32) / np.float32(255.0)
    x = np.repeat(x[:, None, :, :], 3, axis=1)
    x = (x - np.float32(MEAN)) / np.float32(STD)
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def label_slug(name):
    return re.sub(r"[^a-z0-9]", "-", name.lower())


# ---------------------------------------------------------------- training

def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            pred = model(x[i:i + batch]).argmax(dim=1)
            correct += int((pred == y[i:i + batch]).sum())
    return correct / x.shape[0]


def train(model, epochs, batch_size):
    train_u8, train_y = load_split("train")
    test_u8, test_y = load_split("t10k")
    xtr, ytr = to_tensor(pad32(train_u8)), torch.from_numpy(train_y)
    xte, yte = to_tensor(pad32(test_u8)), torch.from_numpy(test_y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.RandomState(SEED)
    n = xtr.shape[0]
    acc = 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.from_numpy(rng.permutation(n))
        total, seen = 0.0, 0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += float(loss) * xb.shape[0]
            seen += xb.shape[0]
        train_acc = evaluate(model, xtr, ytr)
        acc = evaluate(model, xte, yte)
        print("epoch %d/%d  loss %.4f  train acc %.4f  test acc %.4f  (%.1fs)"
              % (epoch, epochs, total / seen, train_acc, acc, time.time() - t0),
              flush=True)
    return acc


def test_accuracy(model):
    test_u8, test_y = load_split("t10k")
    return evaluate(model, to_tensor(pad32(test_u8)), torch.from_numpy(test_y))


# ---------------------------------------------------------------- export

def export_onnx(model):
    import onnx
    model.eval()
    dummy = torch.zeros(1, 3, 32, 32, dtype=torch.float32)
    path = os.path.join(ROOT, ONNX_PATH)
    torch.onnx.export(model, dummy, path,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13, do_constant_folding=True)
    add_metadata(path)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    opsets = ", ".join("%s:%d" % (o.domain or "ai.onnx", o.version) for o in m.opset_import)
    print("ONNX %s: ir_version %d, opset %s" % (ONNX_PATH, m.ir_version, opsets))
    print("ONNX nodes:", " ".join(n.op_type for n in m.graph.node))
    print("ONNX initializers:", ", ".join(
        "%s%s" % (t.name, list(t.dims)) for t in m.graph.initializer))
    return m


def numpy_run_onnx(m, x):
    """Tiny float64 interpreter for the ops the exported graphs use (the
    seed export, the --export-variants matrix and the --export-architectures
    models; 2-D Conv and pools only): an independent check that
    an exported file computes what the PyTorch model computes. Float tensors
    are computed in float64; integer tensors (shapes, indices) stay int64."""
    from onnx import TensorProto, helper, numpy_helper

    def arr(t):
        a = numpy_helper.to_array(t)
        return a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64)

    opset = max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [1])
    env = {t.name: arr(t) for t in m.graph.initializer}
    # Graph inputs that are not initializers are the real inputs (older
    # exporters also list every initializer as a graph input).
    real_inputs = [i.name for i in m.graph.input if i.name not in env]
    assert len(real_inputs) == 1, real_inputs
    env[real_inputs[0]] = x.astype(np.float64)

    def attrs(node):
        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    for node in m.graph.node:
        a = attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        outs = None
        if op == "Constant":
            out = arr(a["value"])
        elif op == "Conv":
            xx, w = ins[0], ins[1]
            b = ins[2] if len(ins) > 2 else None
            assert a.get("group", 1) == 1
            assert all(v == 1 for v in a.get("strides", [1, 1]))
            assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", b"VALID")
            pt, pl, pb, pr = a.get("pads", [0] * 4)
            dh, dw = a.get("dilations", [1, 1])
            xx = np.pad(xx, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
            n_, c, h, wd = xx.shape
            oc, _, kh, kw = w.shape
            oh, ow = h - (kh - 1) * dh, wd - (kw - 1) * dw
            cols = np.empty((n_, c, kh, kw, oh, ow))
            for i in range(kh):
                for j in range(kw):
                    cols[:, :, i, j] = xx[:, :, i * dh:i * dh + oh, j * dw:j * dw + ow]
            out = np.einsum("nckluv,ockl->nouv", cols, w)
            if b is not None:
                out = out + b[None, :, None, None]
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "LeakyRelu":
            out = np.where(ins[0] >= 0, ins[0], a.get("alpha", 0.01) * ins[0])
        elif op == "Tanh":
            out = np.tanh(ins[0])
        elif op in ("MaxPool", "AveragePool"):
            # 2-D windows over the input padded by `pads` plus, in ceil_mode, the overhang of
            # the last window. AveragePool divides by the cells of the window inside the input,
            # or inside input + pads (not the overhang) with count_include_pad.
            k = list(a["kernel_shape"])
            st = list(a.get("strides", k))
            pt, pl, pb, pr = a.get("pads", [0] * 4)
            assert a.get("auto_pad", b"NOTSET") == b"NOTSET" and len(node.output) == 1
            assert list(a.get("dilations", [1, 1])) == [1, 1]
            n_, c, h, wd = ins[0].shape
            rnd = np.ceil if a.get("ceil_mode", 0) else np.floor
            oh = int(rnd((h + pt + pb - k[0]) / st[0])) + 1
            ow = int(rnd((wd + pl + pr - k[1]) / st[1])) + 1
            oh -= int((oh - 1) * st[0] >= h + pt)  # a window must start inside input or pads
            ow -= int((ow - 1) * st[1] >= wd + pl)
            eh = max(0, (oh - 1) * st[0] + k[0] - (h + pt + pb))
            ew = max(0, (ow - 1) * st[1] + k[1] - (wd + pl + pr))
            spec = ((0, 0), (0, 0), (pt, pb + eh), (pl, pr + ew))
            if op == "MaxPool":
                xp = np.pad(ins[0], spec, constant_values=-np.inf)
            else:
                xp = np.pad(ins[0], spec)
                inner = 1.0 if a.get("count_include_pad", 0) else 0.0
                mask = np.pad(np.ones((1, 1, h, wd)), ((0, 0), (0, 0), (pt, pb), (pl, pr)),
                              constant_values=inner)
                mask = np.pad(mask, ((0, 0), (0, 0), (0, eh), (0, ew)))

            def windows(t):
                return np.stack([t[:, :, i:i + (oh - 1) * st[0] + 1:st[0],
                                   j:j + (ow - 1) * st[1] + 1:st[1]]
                                 for i in range(k[0]) for j in range(k[1])])
            if op == "MaxPool":
                out = windows(xp).max(axis=0)
            else:
                out = windows(xp).sum(axis=0) / windows(mask).sum(axis=0)
        elif op == "Pad":
            mode = a.get("mode", b"constant")
            assert mode == b"constant", mode
            pads = [int(v) for v in (ins[1] if opset >= 11 else a["pads"])]
            value = (float(ins[2]) if opset >= 11 and len(ins) > 2 and ins[2] is not None
                     else a.get("value", 0.0))
            r = ins[0].ndim
            out = np.pad(ins[0], [(pads[i], pads[i + r]) for i in range(r)],
                         constant_values=value)
        elif op == "BatchNormalization":
            xx, sc, bi, mu, var = ins[:5]
            assert len([o for o in node.output if o]) == 1, "training-mode BatchNormalization"
            shp = (1, -1) + (1,) * (xx.ndim - 2)
            out = ((xx - mu.reshape(shp)) / np.sqrt(var.reshape(shp) + a.get("epsilon", 1e-5))
                   * sc.reshape(shp) + bi.reshape(shp))
        elif op == "Transpose":
            out = np.transpose(ins[0], a.get("perm"))
        elif op in ("Softmax", "LogSoftmax"):
            ax = a.get("axis", -1 if opset >= 13 else 1)
            assert opset >= 13 or ax in (-1, ins[0].ndim - 1), "coerced-2D softmax"
            z = ins[0] - ins[0].max(axis=ax, keepdims=True)
            lse = np.log(np.exp(z).sum(axis=ax, keepdims=True))
            out = z - lse if op == "LogSoftmax" else np.exp(z - lse)
        elif op == "Reshape":
            shape = [int(d) for d in ins[1]]
            if not a.get("allowzero", 0):  # 0 copies the input's dimension
                shape = [ins[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            out = ins[0].reshape(shape)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Shape":
            dims = np.array(ins[0].shape, dtype=np.int64)
            r = len(dims)
            start, end = a.get("start", 0), a.get("end", r)
            out = dims[start:end]
        elif op == "Gather":
            out = np.take(ins[0], ins[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            axes = a["axes"] if opset < 13 else [int(v) for v in ins[1]]
            r = ins[0].ndim + len(axes)
            out = ins[0]
            for ax in sorted(ax % r for ax in axes):
                out = np.expand_dims(out, ax)
        elif op == "Concat":
            out = np.concatenate([np.atleast_1d(t) for t in ins], axis=a["axis"])
        elif op == "Cast":
            out = ins[0].astype(np.int64 if a["to"] == TensorProto.INT64 else np.float64)
        elif op == "Identity":
            out = ins[0]
        elif op == "Dropout":
            # Inference: identity. Opset 12+ takes training_mode as input 3.
            training = len(ins) > 2 and ins[2] is not None and bool(ins[2])
            assert not training, "training-mode Dropout"
            out = ins[0]
            if len(node.output) > 1 and node.output[1]:
                outs = [out, np.ones(out.shape, dtype=bool)]
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.T
            if a.get("transB", 0):
                B = B.T
            out = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op == "Add":
            out = ins[0] + ins[1]
        else:
            raise NotImplementedError(op)
        for name, val in zip(node.output, outs or [out]):
            if name:
                env[name] = val
    return env[m.graph.output[0].name]


# ---------------------------------------------------------------- files

def write_png_gray8(path, pixels_u8):
    h, w = pixels_u8.shape
    with open(path, "wb") as f:
        png.Writer(w, h, greyscale=True, bitdepth=8, compression=9).write(
            f, pixels_u8.tolist())


def read_png_gray8(path):
    r = png.Reader(filename=path)
    w, h, rows, info = r.read()
    assert info["greyscale"] and not info["alpha"] and info["bitdepth"] == 8, info
    return np.array([list(row) for row in rows], dtype=np.uint8).reshape(h, w)


def write_labels():
    with open(os.path.join(ROOT, LABELS_PATH), "w") as f:
        for name in LABELS:
            f.write(name + "\n")


def write_samples():
    test_u8, test_y = load_split("t10k")
    padded = pad32(test_u8)
    os.makedirs(os.path.join(ROOT, SAMPLES_DIR), exist_ok=True)
    chosen = []
    for cls in range(10):
        chosen.extend(int(i) for i in np.nonzero(test_y == cls)[0][:2])
    files = []
    for idx in sorted(chosen):
        rel = "%s/%05d-%s.png" % (SAMPLES_DIR, idx, label_slug(LABELS[test_y[idx]]))
        write_png_gray8(os.path.join(ROOT, rel), padded[idx])
        files.append((rel, int(test_y[idx])))
    return sorted(files)


def write_torch_fixture(model, onnx_model, sample_files):
    model.eval()
    imgs = [read_png_gray8(os.path.join(ROOT, rel)) for rel, _ in sample_files]
    batch = to_tensor(np.stack(imgs))
    results = []
    singles = []
    with torch.no_grad():
        for k, (rel, true_idx) in enumerate(sample_files):
            out = model(batch[k:k + 1])[0].numpy().astype(np.float32)
            singles.append(out)
            top = int(np.argmax(out))
            results.append({
                "image": rel,
                "true_index": true_idx,
                "output": [float(v) for v in out],  # exact float32 values
                "top_index": top,
                "top_label": LABELS[top],
            })
        whole = model(batch).numpy()
    singles = np.stack(singles)
    diff = float(np.abs(whole - singles).max())
    print("torch batch-vs-single max abs diff: %.3g" % diff)
    if diff > 1e-5:
        sys.exit("batch outputs differ from single-image outputs by %g" % diff)
    ref = numpy_run_onnx(onnx_model, batch.numpy())
    odiff = float(np.abs(ref - singles).max())
    print("onnx graph (numpy float64 interpreter) vs torch max abs diff: %.3g" % odiff)
    if odiff > 1e-4:
        sys.exit("exported ONNX graph disagrees with torch by %g" % odiff)
    correct = sum(r["top_index"] == r["true_index"] for r in results)
    print("samples: %d/%d predicted correctly" % (correct, len(results)))
    doc = {
        "model": ONNX_PATH,
        "mean": MEAN,
        "std": STD,
        "labels": LABELS_PATH,
        "results": results,
    }
    path = os.path.join(ROOT, FIXTURE_JSON)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def write_png_filtered(path, pixels_u8, color_type):
    """Minimal 8-bit PNG writer (zlib) whose row y uses filter type y % 5, so
    a decoder's None/Sub/Up/Average/Paeth code is all exercised (pypng only
    ever writes filter type 0). pixels_u8: H x W x channels uint8."""
    import struct
    import zlib
    h, w, ch = pixels_u8.shape
    bpp = ch
    rows = [bytes(r) for r in pixels_u8.astype(np.uint8).reshape(h, w * ch)]
    out = bytearray()
    prev = bytes(len(rows[0]))
    for y, row in enumerate(rows):
        ft = y % 5
        out.append(ft)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 0:
                pred = 0
            elif ft == 1:
                pred = a
            elif ft == 2:
                pred = b
            elif ft == 3:
                pred = (a + b) // 2
            else:
                p_ = a + b - c
                pa, pb, pc = abs(p_ - a), abs(p_ - b), abs(p_ - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((x - pred) & 0xFF)
        prev = row

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(out), 9)))
        f.write(chunk(b"IEND", b""))


def write_matrix(path, m):
    with open(path, "w") as f:
        for row in m:
            f.write(" ".join(str(int(v)) for v in row) + "\n")


def write_png_fixtures():
    d = os.path.join(ROOT, PNG_FIXTURE_DIR)
    os.makedirs(d, exist_ok=True)
    v = read_png_gray8(os.path.join(ROOT, SAMPLES_DIR, "00000-ankle-boot.png")).astype(np.int64)
    h, w = v.shape
    yy, xx = np.mgrid[0:h, 0:w]
    alpha = 255 - ((xx * 4 + yy * 3) % 128)  # varied, 128..255, never 0

    def save(name, rows, **kw):
        with open(os.path.join(d, name), "wb") as f:
            png.Writer(kw.pop("width", w), kw.pop("height", h), compression=9,
                       **kw).write(f, rows)

    save("gray8.png", v.tolist(), greyscale=True, bitdepth=8)
    save("gray16.png", (v * 257).tolist(), greyscale=True, bitdepth=16)
    save("gray_alpha8.png", np.stack([v, alpha], axis=2).reshape(h, w * 2).tolist(),
         greyscale=True, alpha=True, bitdepth=8)
    save("rgb8.png", np.repeat(v[:, :, None], 3, axis=2).reshape(h, w * 3).tolist(),
         greyscale=False, bitdepth=8)
    save("rgba8.png", np.stack([v, v, v, alpha], axis=2).reshape(h, w * 4).tolist(),
         greyscale=False, alpha=True, bitdepth=8)
    save("rgb16.png", np.repeat(v[:, :, None] * 257, 3, axis=2).reshape(h, w * 3).tolist(),
         greyscale=False, bitdepth=16)
    values = sorted(set(int(t) for t in v.flat))
    assert len(values) <= 256
    lut = {val: i for i, val in enumerate(values)}
    save("palette8.png", [[lut[int(t)] for t in row] for row in v],
         palette=[(val, val, val) for val in values], bitdepth=8)
    save("gray8_interlaced.png", v.tolist(), greyscale=True, bitdepth=8, interlace=True)
    write_png_filtered(os.path.join(d, "gray8_filters.png"), v[:, :, None], color_type=0)
    g1 = (v >= 128).astype(np.int64)
    save("gray1.png", g1.tolist(), greyscale=True, bitdepth=1)
    write_matrix(os.path.join(d, "gray1_expected.txt"), g1 * 255)
    g4 = v >> 4
    save("gray4.png", g4.tolist(), greyscale=True, bitdepth=4)
    write_matrix(os.path.join(d, "gray4_expected.txt"), g4 * 17)
    # 64x48 RGB gradient for resize tests.
    W, H = 64, 48
    gy, gx = np.mgrid[0:H, 0:W]
    r = (gx * 255 + (W - 1) // 2) // (W - 1)
    g = (gy * 255 + (H - 1) // 2) // (H - 1)
    b = 255 - ((gx + gy) * 255 + (W + H - 2) // 2) // (W + H - 2)
    write_png_filtered(os.path.join(d, "rgb8_64x48.png"), np.stack([r, g, b], axis=2),
                       color_type=2)

    # Self-check: decode every file back with pypng and compare.
    def decode01(name):
        rd = png.Reader(filename=os.path.join(d, name))
        ww, hh, px, info = rd.asDirect()  # expands palette / low bit depths
        planes = info["planes"]
        a = np.array([list(row) for row in px], dtype=np.float64).reshape(hh, ww, planes)
        maxv = (1 << info["bitdepth"]) - 1
        return a / maxv, info

    ref = v / 255.0
    for name in ["gray8.png", "gray16.png", "gray_alpha8.png", "rgb8.png", "rgba8.png",
                 "rgb16.png", "palette8.png", "gray8_interlaced.png",
                 "gray8_filters.png"]:
        a, info = decode01(name)
        for c in range(3 if not info["greyscale"] else 1):
            assert np.array_equal(a[:, :, c], ref), name
    a, info = decode01("gray1.png")
    assert info["bitdepth"] == 1 and np.array_equal(a[:, :, 0] * 255, g1 * 255)
    a, info = decode01("gray4.png")
    assert info["bitdepth"] == 4 and np.array_equal(np.rint(a[:, :, 0] * 255), g4 * 17)
    a, info = decode01("rgb8_64x48.png")
    assert a.shape == (H, W, 3)
    assert np.array_equal(np.rint(a * 255), np.stack([r, g, b], axis=2))
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(PNG_README)
    print("png fixtures: ok (%s)" % ", ".join(sorted(os.listdir(d))))


PNG_README = """\
# PNG decoder fixtures

Written by `tools/train_lenet.py` (do not edit by hand). Most files hold the
same 32x32 picture: `samples/00000-ankle-boot.png` (Fashion-MNIST test image 0,
gray values v, 127 distinct values), stored in different PNG formats.

| file | format | picture |
|---|---|---|
| `gray8.png` | gray, 8-bit | v (identical copy of the sample) |
| `gray16.png` | gray, 16-bit | v*257 |
| `gray_alpha8.png` | gray+alpha, 8-bit | gray v; alpha = 255 - ((4x + 3y) % 128), never 0 |
| `rgb8.png` | RGB, 8-bit | R=G=B=v |
| `rgba8.png` | RGBA, 8-bit | R=G=B=v; alpha as in `gray_alpha8.png` |
| `rgb16.png` | RGB, 16-bit | R=G=B=v*257 |
| `palette8.png` | palette (colour type 3), 8-bit indices | PLTE of the 127 distinct (v,v,v) |
| `gray8_interlaced.png` | gray, 8-bit, Adam7 interlaced | v |
| `gray8_filters.png` | gray, 8-bit, row y uses filter type y % 5 | v |
| `gray1.png` | gray, 1-bit | v >= 128 ? 1 : 0 (a different picture); `gray1_expected.txt` has the 8-bit values 0/255 |
| `gray4.png` | gray, 4-bit | v >> 4 (a different picture); `gray4_expected.txt` has the 8-bit values (v >> 4) * 17 |
| `rgb8_64x48.png` | RGB, 8-bit, 64 wide x 48 high, row y uses filter type y % 5 | smooth gradient, integer division: R = (255x + 31) / 63, G = (255y + 23) / 47, B = 255 - (255(x+y) + 55) / 110 |

`*_expected.txt`: 32 lines (rows, top first) of 32 space-separated decimal values.

Pixel-identical to `gray8.png` once decoded to [0,1] floats (8-bit /255,
16-bit /65535; for colour files every colour channel; alpha dropped, not
composited): `gray8.png`, `gray16.png`, `gray_alpha8.png`, `rgb8.png`,
`rgba8.png`, `rgb16.png`, `palette8.png`, `gray8_interlaced.png`,
`gray8_filters.png`.
Not identical: `gray1.png`, `gray4.png` (thresholded / quantised pictures, see
the expected files) and `rgb8_64x48.png` (a different size and picture).

All files except `gray8_filters.png` and `rgb8_64x48.png` are written by pypng,
which only uses filter type 0 (None).
"""


# ---------------------------------------------------------------- exporter matrix

class LeNetVariant(LeNet):
    """LeNet with the same parameters (loads the same state_dict) but another
    way of writing the flatten, and optionally eval-mode Dropout layers:
    different exporter output, identical function."""

    def __init__(self, flatten, dropout=False):
        super().__init__()
        assert flatten in ("view_const", "view_size", "flatten")
        self.flatten_kind = flatten
        self.drop = nn.Dropout(0.5) if dropout else None  # no parameters

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        if self.flatten_kind == "view_const":
            x = x.view(-1, 800)
        elif self.flatten_kind == "view_size":
            x = x.view(x.size(0), -1)
        else:
            x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        if self.drop is not None:
            x = self.drop(x)
        x = F.relu(self.fc2(x))
        if self.drop is not None:
            x = self.drop(x)
        return self.fc3(x)


def max_torch_opset(want):
    """Highest opset <= want that this torch can export."""
    try:
        from torch.onnx import _constants
        return min(want, _constants.ONNX_MAX_OPSET)
    except (ImportError, AttributeError):
        return want


# name, opset, flatten, batch, do_constant_folding, keep_initializers_as_inputs
VIEW_SIZE_OPSETS = [(9, False), (11, True), (13, False), (15, True), (17, False)]


def variant_specs():
    specs = []
    for opset, fold in VIEW_SIZE_OPSETS:
        got = max_torch_opset(opset)
        if got != opset:
            print("torch %s cannot export opset %d; using opset %d instead"
                  % (torch.__version__, opset, got))
        specs.append(dict(name="view_size", opset=got, flatten="view_size",
                          batch="dynamic", fold=fold, keep_inits=False))
    specs += [
        dict(name="flatten", opset=13, flatten="flatten", batch="dynamic",
             fold=True, keep_inits=False),
        dict(name="static_batch1", opset=13, flatten="view_const", batch="static1",
             fold=True, keep_inits=False),
        dict(name="initializers_as_inputs", opset=9, flatten="view_const",
             batch="dynamic", fold=True, keep_inits=True),
    ]
    return specs


def export_variant(model, path, opset, batch, fold, keep_inits, training=None):
    import onnx
    kw = {}
    if batch == "dynamic":
        kw["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    if training is not None:
        kw["training"] = training
    torch.onnx.export(model, torch.zeros(1, 3, 32, 32, dtype=torch.float32), path,
                      input_names=["input"], output_names=["logits"],
                      opset_version=opset, do_constant_folding=fold,
                      keep_initializers_as_inputs=keep_inits, **kw)
    return onnx.load(path)


def graph_ops(m):
    return sorted(set(n.op_type for n in m.graph.node))


def op_sequence(m):
    return [n.op_type for n in m.graph.node]


def insert_dropout_identity(m):
    """Return a copy of m (opset 13, ...Gemm, Relu, Gemm, Relu, Gemm) with a
    Dropout (ratio 0.5 as a scalar initializer, no training_mode input, so
    inference mode = identity) after the first hidden Relu and an Identity
    after the second. Outputs are unchanged."""
    import onnx
    from onnx import helper, numpy_helper
    out = onnx.ModelProto()
    out.CopyFrom(m)
    g = out.graph
    nodes = list(g.node)
    relus = [i for i, n in enumerate(nodes) if n.op_type == "Relu"
             and i > 0 and nodes[i - 1].op_type == "Gemm"]
    assert len(relus) == 2, op_sequence(m)
    ratio = numpy_helper.from_array(np.array(0.5, dtype=np.float32), "dropout_ratio")
    g.initializer.append(ratio)
    new_nodes = []
    inserted = {}
    for i, n in enumerate(nodes):
        if inserted:  # rewire consumers of a Relu output to the new node's output
            for k, name in enumerate(n.input):
                if name in inserted:
                    n.input[k] = inserted[name]
        new_nodes.append(n)
        if i == relus[0]:
            src = n.output[0]
            new_nodes.append(helper.make_node("Dropout", [src, "dropout_ratio"],
                                              [src + "_dropout"], name="Dropout_inserted"))
            inserted[src] = src + "_dropout"
        elif i == relus[1]:
            src = n.output[0]
            new_nodes.append(helper.make_node("Identity", [src], [src + "_identity"],
                                              name="Identity_inserted"))
            inserted[src] = src + "_identity"
    del g.node[:]
    g.node.extend(new_nodes)
    return out


def check_variant(m, spec, batch_np, ref, torch_out):
    """onnx.checker + structural expectations + numpy interpreter vs torch.
    Returns the interpreter's max abs diff against the reference logits."""
    import onnx
    onnx.checker.check_model(m, full_check=True)
    ops = graph_ops(m)
    opsets = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    assert opsets == [spec["opset"]], (opsets, spec)
    inits = set(t.name for t in m.graph.initializer)
    listed = set(i.name for i in m.graph.input)
    real = [i for i in m.graph.input if i.name not in inits]
    assert [i.name for i in real] == ["input"], [i.name for i in real]
    if spec["keep_inits"]:
        assert inits <= listed, "initializers not listed as graph inputs"
    else:
        assert not (inits & listed), "initializers listed as graph inputs"
    d0 = real[0].type.tensor_type.shape.dim[0]
    if spec["batch"] == "static1":
        assert d0.dim_value == 1 and not d0.dim_param, d0
    else:
        assert d0.dim_param == "batch", d0
    if spec["flatten"] == "view_size":
        chain = {"Shape", "Gather", "Unsqueeze", "Concat", "Reshape"}
        assert chain <= set(ops), "Shape/Gather chain was folded away: %s" % ops
    elif spec["flatten"] == "flatten":
        assert "Flatten" in ops and "Reshape" not in ops and "Shape" not in ops, ops
    else:
        assert "Reshape" in ops and "Shape" not in ops, ops
    if spec["batch"] == "static1":
        got = np.concatenate([numpy_run_onnx(m, batch_np[k:k + 1])
                              for k in range(batch_np.shape[0])])
    else:
        got = numpy_run_onnx(m, batch_np)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    diff = float(np.abs(got - ref).max())
    tdiff = float(np.abs(torch_out - ref).max())
    agree = bool((got.argmax(1) == ref.argmax(1)).all())
    print("  %-45s numpy-vs-torch %.3g  torch-variant-vs-fixture %.3g  top-1 %s"
          % (os.path.basename(spec["file"]), diff, tdiff, "same" if agree else "DIFFERS"))
    if diff > 1e-4 or tdiff > 1e-4 or not agree:
        sys.exit("%s disagrees with the torch reference" % spec["file"])
    return diff


def export_variants():
    import onnx
    state = torch.load(os.path.join(ROOT, STATE_PATH), map_location="cpu")
    with open(os.path.join(ROOT, FIXTURE_JSON)) as f:
        fixture = json.load(f)
    imgs = [read_png_gray8(os.path.join(ROOT, r["image"])) for r in fixture["results"]]
    batch = to_tensor(np.stack(imgs))
    ref = np.array([r["output"] for r in fixture["results"]], dtype=np.float64)
    out_dir = os.path.join(ROOT, EXPORTS_DIR)
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):  # stale variants from an earlier run
        if name.startswith("lenet_") and name.endswith(".onnx"):
            os.remove(os.path.join(out_dir, name))

    def make(flatten, dropout=False):
        mod = LeNetVariant(flatten, dropout)
        mod.load_state_dict(state)  # strict: same parameters as LeNet
        mod.eval()
        with torch.no_grad():
            t = np.concatenate([mod(batch[k:k + 1]).numpy()
                                for k in range(batch.shape[0])]).astype(np.float64)
        return mod, t

    entries = []
    exported = {}
    dropout_note = []

    def add(spec, m, torch_out):
        diff = check_variant(m, spec, batch.numpy(), ref, torch_out)
        entries.append({
            "file": spec["file"], "opset": spec["opset"], "flatten": spec["flatten"],
            "batch": spec["batch"], "ops": graph_ops(m), "notes": spec["notes"],
        })
        return diff

    print("exporter matrix -> %s (reference %s)" % (EXPORTS_DIR, FIXTURE_JSON))
    for spec in variant_specs():
        fname = "lenet_%s_opset%d.onnx" % (spec["name"], spec["opset"])
        spec["file"] = "%s/%s" % (EXPORTS_DIR, fname)
        mod, t = make(spec["flatten"])
        m = export_variant(mod, os.path.join(ROOT, spec["file"]), spec["opset"],
                           spec["batch"], spec["fold"], spec["keep_inits"])
        exported[(spec["name"], spec["opset"])] = m
        notes = {
            "view_size": "x.view(x.size(0), -1): Shape->Gather->Unsqueeze->Concat->Reshape",
            "flatten": "torch.flatten(x, 1): Flatten(axis=1)",
            "view_const": "x.view(-1, 800): Reshape with constant shape [-1, 800]",
        }[spec["flatten"]]
        if spec["flatten"] == "view_size" and not spec["fold"]:
            notes += " (do_constant_folding=False: the -1 is a Constant fed through its own Unsqueeze)"
        elif spec["flatten"] == "view_size":
            notes += " (do_constant_folding=True: chain kept because the batch axis is dynamic)"
        if spec["batch"] == "static1":
            notes += "; no dynamic_axes: input [1,3,32,32], output [1,10]; run one image at a time"
        if spec["keep_inits"]:
            notes += ("; keep_initializers_as_inputs=True: every initializer is also a graph"
                      " input (old exporter style); only 'input' must be fed")
        spec["notes"] = notes
        add(spec, m, t)

    # Eval-mode nn.Dropout: torch may drop it entirely at export.
    mod, t = make("view_size", dropout=True)
    tmp = os.path.join(out_dir, "lenet_dropout_opset11.onnx")
    m11 = export_variant(mod, tmp, 11, "dynamic", True, False,
                         training=torch.onnx.TrainingMode.EVAL)
    kept = {"Dropout", "Identity"} & set(graph_ops(m11))
    if kept:
        print("torch kept %s for eval-mode nn.Dropout at opset 11" % sorted(kept))
        add(dict(file="%s/lenet_dropout_opset11.onnx" % EXPORTS_DIR, opset=11,
                 flatten="view_size", batch="dynamic", keep_inits=False,
                 notes="x.view(x.size(0), -1) + nn.Dropout(0.5) after fc1/fc2 ReLU,"
                       " exported with training=TrainingMode.EVAL; torch emitted %s"
                       % ", ".join(sorted(kept))), m11, t)
    else:
        same = op_sequence(m11) == op_sequence(exported[("view_size", 11)])
        print("torch %s dropped eval-mode nn.Dropout at opset 11 (graph %s "
              "lenet_view_size_opset11.onnx); not written, inserting the nodes by hand"
              % (torch.__version__, "identical to" if same else "DIFFERENT from"))
        os.remove(tmp)
        dropout_note.append(
            "torch %s drops eval-mode `nn.Dropout` at export (`training=TrainingMode.EVAL`):"
            " the opset-11 Dropout model came out identical to"
            " `lenet_view_size_opset11.onnx`, so it is not written."
            % torch.__version__.split("+")[0])
        if not same:
            sys.exit("dropout export unexpectedly differs from the view_size export")
    # Hand-inserted Dropout + Identity on the opset-13 EVAL export.
    tmp = os.path.join(out_dir, "lenet_dropout_inserted_opset13.onnx")
    m13 = export_variant(mod, tmp, 13, "dynamic", True, False,
                         training=torch.onnx.TrainingMode.EVAL)
    if {"Dropout", "Identity"} & set(graph_ops(m13)):
        sys.exit("torch kept Dropout/Identity at opset 13; revisit the insertion step")
    ins = insert_dropout_identity(m13)
    onnx.save(ins, tmp)
    add(dict(file="%s/lenet_dropout_inserted_opset13.onnx" % EXPORTS_DIR, opset=13,
             flatten="view_size", batch="dynamic", keep_inits=False,
             notes="opset-13 export of x.view(x.size(0), -1) + eval-mode nn.Dropout(0.5)"
                   " (which torch %s drops), then Dropout(ratio=0.5 scalar initializer,"
                   " no training_mode: inference = identity) inserted after the fc1 Relu"
                   " and Identity after the fc2 Relu with onnx.helper; outputs unchanged"
                   % torch.__version__.split("+")[0]), ins, t)

    written = sorted(n for n in os.listdir(out_dir)
                     if n.startswith("lenet_") and n.endswith(".onnx"))
    assert len(written) == len(entries) <= 9, written
    total = sum(os.path.getsize(os.path.join(out_dir, n)) for n in written)
    # --export-architectures' entries (they name their own reference) stay.
    others = []
    path = os.path.join(out_dir, "manifest.json")
    if os.path.exists(path):
        with open(path) as f:
            others = [e for e in json.load(f)["models"] if "reference" in e]
    manifest = {"reference": FIXTURE_JSON, "models": entries + others}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    rows = "\n".join("| `%s` | %d | %s | %s | %s |" % (
        os.path.basename(e["file"]), e["opset"], e["flatten"], e["batch"],
        " ".join(e["ops"])) for e in entries)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(EXPORTS_README.format(rows=rows, torch_version=torch.__version__.split("+")[0],
                                      onnx_version=onnx.__version__,
                                      dropout=" ".join(dropout_note + [
                                          "`lenet_dropout_inserted_opset13.onnx` has a"
                                          " `Dropout` (ratio 0.5 as a scalar initializer, no"
                                          " training_mode input, so identity at inference)"
                                          " after the fc1 Relu and an `Identity` after the"
                                          " fc2 Relu, inserted with onnx.helper."])))
    print("exporter matrix: %d models, %.0f KB in all" % (len(entries), total / 1024))


EXPORTS_README = """\
# Exporter matrix

Written by `tools/train_lenet.py --export-variants` (do not edit by hand; torch
{torch_version}, onnx {onnx_version}). Regenerate from the repository root with

    /usr/bin/python3 tools/train_lenet.py --export-variants

Every file holds the **same trained weights** as `models/lenet.onnx`
(`models/lenet_state.pt`), exported in different ways, so a runtime must
reproduce the logits in `tests/fixtures/lenet_torch_outputs.json` for the 20
`samples/` images with every file (same preprocessing: /255, gray replicated to
3 channels, mean 0.5, std 0.5). `manifest.json` lists each file with its
opset, flatten style, batch kind, distinct op types and notes.

| file | opset | flatten | batch | ops |
|---|---|---|---|---|
{rows}

Flatten styles: `view_size` = `x.view(x.size(0), -1)`
(Shape -> Gather -> Unsqueeze -> Concat -> Reshape), `view_const` =
`x.view(-1, 800)` (Reshape by a constant), `flatten` = `torch.flatten(x, 1)`.
`static1` models have a fixed input `[1,3,32,32]`: feed one image at a time.
In the `view_size` chain the Gather index is a rank-0 int64 Constant, so Gather
yields a scalar that Unsqueeze turns into `[N]` (axes attribute before opset 13,
axes input from 13).

{dropout}

Models of other architectures, with their own reference outputs, are in
`ARCHITECTURES.md` (`--export-architectures`); their manifest entries name
their `reference`.

The script checks every file with `onnx.checker` (full_check) and runs it with
its numpy float64 interpreter against the torch outputs (max abs diff below
1e-5), and fails if the Shape/Gather chain of a `view_size` model was folded
away.
"""


# ---------------------------------------------------------------- other architectures

ARCH_MANIFEST_KEYS = ("reference", "mean", "std", "layout", "channels", "ends_in_softmax")
FASHION_MEAN = 0.2860  # Fashion-MNIST training-set pixel mean and std (of /255 values)
FASHION_STD = 0.3530
ARCH_README = "tests/fixtures/exports/ARCHITECTURES.md"


class LeNet5(nn.Module):
    """LeCun's LeNet-5 on 1x32x32 gray: tanh, average pooling, a 5x5 conv down to
    120x1x1, log-softmax head. padded=True gives both pools padding=1 (count_include_pad),
    which torch exports as Pad + AveragePool."""

    def __init__(self, padded=False):
        super().__init__()
        p = 1 if padded else 0
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool1 = nn.AvgPool2d(2, padding=p)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.AvgPool2d(2, padding=p)
        self.conv3 = nn.Conv2d(16, 120, 5)
        self.fc1 = nn.Linear(480 if padded else 120, 84)  # padded: 120 x 2 x 2
        self.fc2 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(torch.tanh(self.conv1(x)))
        x = self.pool2(torch.tanh(self.conv2(x)))
        x = torch.flatten(torch.tanh(self.conv3(x)), 1)
        x = torch.tanh(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


class MnistCNN(nn.Module):
    """Tutorial-style 1x28x28 CNN: BatchNorm2d right after a conv (which torch folds into
    the Conv at eval-mode export) and after a LeakyReLU (which it cannot fold), a dilated
    conv, ceil-mode max pooling (7 -> 4 and 5 -> 3), Dropout, LeakyReLU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=2, dilation=2)
        self.bn2 = nn.BatchNorm2d(32)
        self.conv3 = nn.Conv2d(32, 32, 3)
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.drop1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 3 * 3, 64)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.pool(F.leaky_relu(self.bn1(self.conv1(x)), 0.1))  # 28 -> 14
        x = self.pool(self.bn2(F.leaky_relu(self.conv2(x), 0.1)))  # 14 -> 7
        x = self.pool(F.leaky_relu(self.conv3(x), 0.1))  # 7 -> 5 -> 3 (ceil)
        x = self.drop1(torch.flatten(x, 1))
        x = self.drop2(F.leaky_relu(self.fc1(x), 0.1))
        return self.fc2(x)


def gray_input(u8, size, mean, std):
    """uint8 N x H x W -> float32 N x 1 x size x size: /255, bilinear resize (half-pixel
    centres, no antialias: what lenet-onnx-run does) when the size differs, normalised."""
    x = torch.from_numpy(u8.astype(np.float32) / np.float32(255.0))[:, None]
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=False)
    return (x - np.float32(mean)) / np.float32(std)


def quick_train(model, x, y, epochs=1, batch_size=64):
    """A short deterministic Adam run so that the fixtures' top-1 labels mean something."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.RandomState(SEED)
    for _ in range(epochs):
        model.train()
        perm = torch.from_numpy(rng.permutation(x.shape[0]))
        for i in range(0, x.shape[0], batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()


def keras_nhwc_lenet(state, opset=13):
    """The graph tf2onnx writes for a Keras LeNet (channels-last, 32x32x3), built with
    onnx.helper around the trained LeNet weights: a Transpose to NCHW before each Conv and
    back to NHWC after each pool, Reshape of the NHWC tensor, Dense layers as MatMul + Add,
    Softmax head. fc1's rows are reordered for the h, w, c flatten order, so its outputs are
    softmax(models/lenet.onnx's logits)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = {k: v.numpy().astype(np.float32) for k, v in state.items()}
    # torch flattens c, h, w; the NHWC Reshape flattens h, w, c.
    fc1 = w["fc1.weight"].reshape(120, 32, 5, 5).transpose(2, 3, 1, 0).reshape(800, 120)
    inits = [
        numpy_helper.from_array(w["conv1.weight"], "conv1/kernel"),
        numpy_helper.from_array(w["conv1.bias"], "conv1/bias"),
        numpy_helper.from_array(w["conv2.weight"], "conv2/kernel"),
        numpy_helper.from_array(w["conv2.bias"], "conv2/bias"),
        numpy_helper.from_array(np.ascontiguousarray(fc1), "dense/kernel"),
        numpy_helper.from_array(w["fc1.bias"], "dense/bias"),
        numpy_helper.from_array(np.ascontiguousarray(w["fc2.weight"].T), "dense_1/kernel"),
        numpy_helper.from_array(w["fc2.bias"], "dense_1/bias"),
        numpy_helper.from_array(np.ascontiguousarray(w["fc3.weight"].T), "dense_2/kernel"),
        numpy_helper.from_array(w["fc3.bias"], "dense_2/bias"),
        numpy_helper.from_array(np.array([-1, 800], dtype=np.int64), "flatten/shape"),
    ]
    nodes = []
    x = "input_1"
    for i, conv in enumerate(("conv1", "conv2")):
        nodes += [
            helper.make_node("Transpose", [x], ["%s_nchw" % conv], perm=[0, 3, 1, 2],
                             name="%s/Conv2D__%d" % (conv, 6 + i)),
            helper.make_node("Conv", ["%s_nchw" % conv, conv + "/kernel", conv + "/bias"],
                             [conv + "/BiasAdd"], kernel_shape=[5, 5], strides=[1, 1],
                             dilations=[1, 1], name=conv + "/BiasAdd"),
            helper.make_node("Relu", [conv + "/BiasAdd"], [conv + "/Relu"], name=conv + "/Relu"),
            helper.make_node("MaxPool", [conv + "/Relu"], ["pool%d" % (i + 1)],
                             kernel_shape=[2, 2], strides=[2, 2],
                             name="max_pooling2d_%d/MaxPool" % i),
            helper.make_node("Transpose", ["pool%d" % (i + 1)], ["pool%d_nhwc" % (i + 1)],
                             perm=[0, 2, 3, 1], name="max_pooling2d_%d/MaxPool__%d" % (i, 10 + i)),
        ]
        x = "pool%d_nhwc" % (i + 1)
    nodes.append(helper.make_node("Reshape", [x, "flatten/shape"], ["flatten/Reshape"],
                                  name="flatten/Reshape"))
    x = "flatten/Reshape"
    for i, dense in enumerate(("dense", "dense_1", "dense_2")):
        nodes += [
            helper.make_node("MatMul", [x, dense + "/kernel"], [dense + "/MatMul"],
                             name=dense + "/MatMul"),
            helper.make_node("Add", [dense + "/MatMul", dense + "/bias"], [dense + "/BiasAdd"],
                             name=dense + "/BiasAdd"),
        ]
        x = dense + "/BiasAdd"
        if i < 2:
            nodes.append(helper.make_node("Relu", [x], [dense + "/Relu"], name=dense + "/Relu"))
            x = dense + "/Relu"
    nodes.append(helper.make_node("Softmax", [x], ["dense_2"], axis=-1, name="dense_2/Softmax"))
    graph = helper.make_graph(
        nodes, "lenet_keras",
        [helper.make_tensor_value_info("input_1", TensorProto.FLOAT, ["unk__0", 32, 32, 3])],
        [helper.make_tensor_value_info("dense_2", TensorProto.FLOAT, ["unk__0", 10])],
        initializer=inits)
    m = helper.make_model(graph, producer_name="tf2onnx-style (tools/train_lenet.py)",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def export_torch_arch(model, path, in_shape, opset, fold):
    import onnx
    torch.onnx.export(model, torch.zeros(*in_shape, dtype=torch.float32), path,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      opset_version=opset, do_constant_folding=fold,
                      training=torch.onnx.TrainingMode.EVAL)
    return onnx.load(path)


def write_arch_reference(path, model_file, mean, std, layout, channels, softmax, images,
                         true_idx, out):
    results = []
    for rel, t, o in zip(images, true_idx, out.astype(np.float32)):
        top = int(np.argmax(o))
        results.append({"image": rel, "true_index": int(t), "output": [float(v) for v in o],
                        "top_index": top, "top_label": LABELS[top]})
    doc = {"model": model_file, "mean": mean, "std": std, "labels": LABELS_PATH,
           "layout": layout, "channels": channels, "ends_in_softmax": softmax,
           "results": results}
    with open(os.path.join(ROOT, path), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return sum(r["top_index"] == r["true_index"] for r in results)


def export_architectures():
    """Other architectures than the trained LeNet, each with its own reference outputs."""
    import onnx
    with open(os.path.join(ROOT, FIXTURE_JSON)) as f:
        fixture = json.load(f)
    images = [r["image"] for r in fixture["results"]]
    true_idx = [r["true_index"] for r in fixture["results"]]
    u8 = np.stack([read_png_gray8(os.path.join(ROOT, rel)) for rel in images])
    logits = np.array([r["output"] for r in fixture["results"]], dtype=np.float64)
    out_dir = os.path.join(ROOT, EXPORTS_DIR)
    entries = []

    def add(name, m, ref, spec, cross=None, cross_what=""):
        """Checks m and the reference, writes both, adds the manifest entry."""
        onnx.checker.check_model(m, full_check=True)
        file = "%s/%s.onnx" % (EXPORTS_DIR, name)
        reference = "%s/%s_outputs.json" % (EXPORTS_DIR, name)
        onnx.save(m, os.path.join(ROOT, file))
        nchw = spec["layout"] == "NCHW"
        if spec["channels"] == 1:
            x = gray_input(u8, spec["size"], spec["mean"], spec["std"]).numpy()
        else:
            x = to_tensor(u8).numpy()
        x = x if nchw else x.transpose(0, 2, 3, 1)
        got = numpy_run_onnx(m, x)
        diff = float(np.abs(got - ref).max())
        line = "  %-40s numpy-vs-reference %.3g" % (name + ".onnx", diff)
        if cross is not None:
            cdiff = float(np.abs(cross - ref).max())
            line += "  %s %.3g" % (cross_what, cdiff)
            diff = max(diff, cdiff)
        correct = write_arch_reference(reference, file, spec["mean"], spec["std"],
                                       spec["layout"], spec["channels"], spec["softmax"],
                                       images, true_idx, ref)
        print(line + "  samples %d/20 right  %.0f KB" % (
            correct, os.path.getsize(os.path.join(ROOT, file)) / 1024))
        if diff > 1e-4:
            sys.exit("%s: the references disagree by %g" % (name, diff))
        entries.append({
            "file": file, "opset": spec["opset"], "flatten": spec["flatten"],
            "batch": "dynamic", "ops": graph_ops(m), "notes": spec["notes"],
            "reference": reference, "mean": spec["mean"], "std": spec["std"],
            "layout": spec["layout"], "channels": spec["channels"],
            "ends_in_softmax": spec["softmax"]})

    print("other architectures -> %s" % EXPORTS_DIR)
    # a. tf2onnx-style Keras LeNet: reference from the numpy interpreter (run inside add()),
    # cross-checked against softmax of the trained LeNet's torch logits.
    state = torch.load(os.path.join(ROOT, STATE_PATH), map_location="cpu")
    keras = keras_nhwc_lenet(state)
    ref = numpy_run_onnx(keras, to_tensor(u8).numpy().transpose(0, 2, 3, 1))
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    add("keras_lenet_nhwc_opset13", keras, ref,
        dict(opset=13, flatten="reshape_nhwc", layout="NHWC", channels=3, size=32, mean=MEAN,
             std=STD, softmax=True,
             notes="tf2onnx-style Keras LeNet (onnx.helper, the trained LeNet weights): input"
                   " [N,32,32,3]; Transpose(0,3,1,2) -> Conv -> Relu -> MaxPool ->"
                   " Transpose(0,2,3,1) per block, Reshape [-1,800] in h,w,c order,"
                   " MatMul + Add dense layers, Softmax head; outputs = softmax of"
                   " lenet_torch_outputs.json's logits; reference by the numpy interpreter"),
        cross=z / z.sum(axis=1, keepdims=True), cross_what="vs-softmax(torch)")

    # b. and c.: torch modules, a short training on Fashion-MNIST, references from torch.
    train_u8, train_y = load_split("train")
    ytr = torch.from_numpy(train_y)
    lenet5_notes = {
        False: "classic LeNet-5, 1x32x32 gray: Conv(1,6,5) Tanh AvgPool(2) Conv(6,16,5) Tanh"
               " AvgPool(2) Conv(16,120,5) Tanh Flatten Linear(120,84) Tanh Linear(84,10)"
               " LogSoftmax; 1 epoch on Fashion-MNIST; torch %s writes each AvgPool2d(2)"
               " as Constant (all-zero pads) -> Pad -> AveragePool, because"
               " count_include_pad=True is the default" % torch.__version__.split("+")[0],
        True: "LeNet-5 with AvgPool2d(2, padding=1) (count_include_pad): torch %s emits"
              " Constant pads -> Pad -> AveragePool(pads 0) for each pool;"
              " Flatten of 120x2x2, Linear(480,84); 1 epoch on Fashion-MNIST"
              % torch.__version__.split("+")[0],
    }
    for padded in (False, True):
        torch.manual_seed(SEED)
        mod = LeNet5(padded)
        quick_train(mod, gray_input(pad32(train_u8), 32, MEAN, STD), ytr)
        name = "lenet5_%s_opset13" % ("pad_avgpool" if padded else "tanh_avgpool")
        m = export_torch_arch(mod, os.path.join(out_dir, name + ".onnx"), (1, 1, 32, 32), 13,
                              True)
        with torch.no_grad():
            ref = mod(gray_input(u8, 32, MEAN, STD)).numpy().astype(np.float64)
        add(name, m, ref, dict(opset=13, flatten="flatten", layout="NCHW", channels=1, size=32,
                               mean=MEAN, std=STD, softmax=False, notes=lenet5_notes[padded]))

    torch.manual_seed(SEED)
    cnn = MnistCNN()
    quick_train(cnn, gray_input(train_u8, 28, FASHION_MEAN, FASHION_STD), ytr)
    with torch.no_grad():
        ref = cnn(gray_input(u8, 28, FASHION_MEAN, FASHION_STD)).numpy().astype(np.float64)
    for opset, fold in ((11, False), (13, True)):
        name = "mnist_cnn_bn_opset%d" % opset
        m = export_torch_arch(cnn, os.path.join(out_dir, name + ".onnx"), (1, 1, 28, 28),
                              opset, fold)
        ops = graph_ops(m)
        notes = ("tutorial-style CNN, 1x28x28 gray (the 32x32 samples resized bilinearly),"
                 " mean %.4f std %.4f: Conv+BatchNorm2d, LeakyReLU(0.1), MaxPool2d(2,"
                 " ceil_mode=True), dilation-2 Conv, BatchNorm2d after a LeakyReLU, Dropout;"
                 " 1 epoch on Fashion-MNIST; exported in eval mode with do_constant_folding=%s:"
                 " torch %s folds the Conv->BatchNorm pair into the Conv either way, keeps the"
                 " BatchNorm after the LeakyReLU (%s) and drops the Dropouts (%s)"
                 % (FASHION_MEAN, FASHION_STD, fold, torch.__version__.split("+")[0],
                    "BatchNormalization in the graph" if "BatchNormalization" in ops
                    else "no BatchNormalization left",
                    "Dropout in the graph" if "Dropout" in ops else "no Dropout node"))
        add(name, m, ref, dict(opset=opset, flatten="flatten", layout="NCHW", channels=1,
                               size=28, mean=FASHION_MEAN, std=FASHION_STD, softmax=False,
                               notes=notes))

    path = os.path.join(out_dir, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest["models"] = [e for e in manifest["models"] if "reference" not in e] + entries
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    rows = "\n".join("| `%s` | %d | %s %dch | %s | %s |" % (
        os.path.basename(e["file"]), e["opset"], e["layout"], e["channels"],
        os.path.basename(e["reference"]), " ".join(e["ops"])) for e in entries)
    notes = "\n".join("- `%s`: %s." % (os.path.basename(e["file"]), e["notes"])
                      for e in entries)
    with open(os.path.join(ROOT, ARCH_README), "w") as f:
        f.write(ARCHITECTURES_README.format(rows=rows, notes=notes,
                                            torch_version=torch.__version__.split("+")[0],
                                            onnx_version=onnx.__version__))
    total = sum(os.path.getsize(os.path.join(ROOT, e["file"])) for e in entries)
    print("other architectures: %d models, %.0f KB in all" % (len(entries), total / 1024))


ARCHITECTURES_README = """\
# Other architectures

Written by `tools/train_lenet.py --export-architectures` (do not edit by hand; torch
{torch_version}, onnx {onnx_version}). Regenerate from the repository root with

    /usr/bin/python3 tools/train_lenet.py --export-architectures

Unlike the exporter matrix in `README.md`, each model here has its own reference
outputs for the 20 `samples/` images (`*_outputs.json`, the format of
`tests/fixtures/lenet_torch_outputs.json` plus `layout`, `channels` and
`ends_in_softmax`) and its own preprocessing (`mean`, `std` in the JSON and in
`manifest.json`; 1-channel models take the gray image as is, 28x28 models the
32x32 sample resized bilinearly). References come from torch for the torch
exports and from the script's numpy float64 interpreter for the hand-built
Keras-style graph; the script checks each against the other (max abs diff
below 1e-4). A model that ends in Softmax outputs probabilities (the runner's
`score` is the output itself); LogSoftmax outputs are log-probabilities.

| file | opset | input | reference | ops |
|---|---|---|---|---|
{rows}

{notes}
"""


README_TEMPLATE = """\
# lenet — Fashion-MNIST classifier

`lenet.onnx` is a small LeNet-style CNN trained on Fashion-MNIST
(Debian package `dataset-fashion-mnist`), exported from PyTorch {torch_version}.

Made with (from the repository root, Debian's Python with torch and onnx):

    {command}

(`--export-only` reloads `lenet_state.pt` and redoes the export, labels, samples
and fixtures without retraining.)

## Files

- `lenet.onnx` — ONNX model, opset 13; input `input` float32 `[batch,3,32,32]`,
  output `logits` float32 `[batch,10]` (raw logits, no softmax).
- `lenet-labels.txt` — the 10 class names, one per line, in class-index order.
- `lenet_state.pt` — PyTorch `state_dict` the ONNX file was exported from.

## Architecture

    input 3x32x32
    Conv2d(3,16,5) -> ReLU -> MaxPool2d(2)      16x14x14
    Conv2d(16,32,5) -> ReLU -> MaxPool2d(2)     32x5x5
    view(-1, 800)
    Linear(800,120) -> ReLU -> Linear(120,84) -> ReLU -> Linear(84,10)

ONNX nodes: {nodes}
(the `Reshape` takes its shape `[-1, 800]` from the `Constant` node).

## Preprocessing a user must apply

Images are 32x32 8-bit grayscale: the 28x28 Fashion-MNIST picture (white object
on black) with 2 pixels of black padding on each side, as in `samples/*.png`.
The runtime scales pixels to [0,1], replicates gray to 3 channels and
normalises with mean 0.5 / std 0.5:

    lenet-onnx-run --mean 0.5 --std 0.5 --labels models/lenet-labels.txt models/lenet.onnx samples/*.png

The ONNX graph itself does no preprocessing, but the model says what it needs in its
`metadata_props` (`docs/model-metadata.md`): `Image.BitmapPixelFormat` Rgb8,
`Image.ColorSpaceGamma` SRGB, `Image.NominalPixelRange` Normalized_1_1, `lenet_onnx.mean` 0.5,
`lenet_onnx.std` 0.5 and `lenet_onnx.labels` (the ten names), so
`lenet-onnx-run models/lenet.onnx samples/*.png` prints the same as the command above.
`python3 tools/train_lenet.py --add-metadata-only` writes them into an existing `lenet.onnx`
without retraining (no torch or onnx needed).

## Accuracy

Test accuracy on the 10,000-image Fashion-MNIST test set: **{acc:.2f}%**
(Adam lr 1e-3, batch {batch}, {epochs} epochs, seed {seed}).
"""


def write_readme(acc, nodes, epochs, batch, args):
    with open(os.path.join(ROOT, README_PATH), "w") as f:
        f.write(README_TEMPLATE.format(
            torch_version=torch.__version__.split("+")[0], nodes=nodes,
            command=" ".join(["/usr/bin/python3", "tools/train_lenet.py"] + args),
            acc=acc * 100, batch=batch, epochs=epochs, seed=SEED))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--export-only", action="store_true",
                    help="load %s instead of training" % STATE_PATH)
    ap.add_argument("--export-variants", action="store_true",
                    help="only write the exporter matrix in %s from %s (no training)"
                    % (EXPORTS_DIR, STATE_PATH))
    ap.add_argument("--export-architectures", action="store_true",
                    help="only write the other-architecture models and their reference"
                    " outputs in %s (a short training each; needs %s and samples/)"
                    % (EXPORTS_DIR, STATE_PATH))
    ap.add_argument("--add-metadata-only", action="store_true",
                    help="only rewrite the metadata_props of %s (no torch needed)"
                    % ONNX_PATH)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    if args.add_metadata_only:
        add_metadata()
        return

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    if args.export_variants:
        export_variants()
        return
    if args.export_architectures:
        export_architectures()
        return
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)

    model = LeNet()
    state_path = os.path.join(ROOT, STATE_PATH)
    if args.export_only:
        # --epochs/--batch-size only label the README here; pass the values
        # used for training if they were not the defaults.
        model.load_state_dict(torch.load(state_path, map_location="cpu"))
        epochs, batch = args.epochs, args.batch_size
        acc = test_accuracy(model)
    else:
        t0 = time.time()
        acc = train(model, args.epochs, args.batch_size)
        epochs, batch = args.epochs, args.batch_size
        print("training took %.1fs" % (time.time() - t0))
        torch.save(model.state_dict(), state_path)
    model.eval()
    print("final test accuracy: %.4f" % acc)

    m = export_onnx(model)
    nodes = ", ".join(n.op_type for n in m.graph.node)
    write_labels()
    cmd = [] if (epochs, batch) == (8, 64) else [
        "--epochs", str(epochs), "--batch-size", str(batch)]
    write_readme(acc, nodes, epochs, batch, cmd)
    samples = write_samples()
    write_torch_fixture(model, m, samples)
    write_png_fixtures()


if __name__ == "__main__":
    main()
