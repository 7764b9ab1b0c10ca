#!/usr/bin/env python3
"""End-to-end checks of lenet-onnx-run against the command-line contract of ARCHITECTURE.md.

usage: check_run_json.py CHECK PATH/TO/lenet-onnx-run     (run from the repository root)

CHECK is one of:
  batch        all samples/*.png as one run: outputs within 1e-4 of PyTorch's
               (tests/fixtures/lenet_torch_outputs.json), the same top label, results in the
               order given (sorted and reversed), JSON keys and types exactly as specified
  single       the same, one process per image; then all of them through a model with a
               static batch of 1, which the tool runs one by one
  formats      every PNG format of the ankle-boot picture (tests/fixtures/png) gives the output
               of gray8.png; the other PNG fixtures (1-bit, 4-bit, 64x48 RGB) run
  bad_input    malformed models, PNGs and options: exit 2, exactly one line on stderr naming
               the problem, nothing on stdout, no crash
  device_list  --device list exits 0 and lists at least one device
  options      --top clipping, labels and JSON escaping, --mean/--std forms, option placement,
               the table output, --verbose, --backend vulkan, --help
  exports      every model of tests/fixtures/exports/manifest.json against its reference: the
               LeNet exporter matrix against PyTorch's logits, the other architectures
               (NHWC, 1-channel gray, Softmax / LogSoftmax heads) against their own outputs
               with their own mean/std; while TOLERATE_UNSUPPORTED is True, one of those that
               lenet-onnx-run rejects as unsupported (exit 2) is printed as SKIP
  many         300 images as one batch against PyTorch
  plugin       --plugin and LENET_ONNX_PLUGIN (the library in LENET_ONNX_TEST_PLUGIN): a path
               that is no plugin exits 1 with one line naming it; --plugin wins over the variable

Standard library only: CI has python3 without numpy.
"""
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile

EXPECTED = "tests/fixtures/lenet_torch_outputs.json"
MODEL = "models/lenet.onnx"
LABELS = "models/lenet-labels.txt"
NORM = ["--mean", "0.5", "--std", "0.5"]
TOLERANCE = 1e-4
PNG_DIR = "tests/fixtures/png"
IDENTICAL_PNGS = ["gray16.png", "gray_alpha8.png", "rgb8.png", "rgba8.png", "rgb16.png",
                  "palette8.png", "gray8_interlaced.png", "gray8_filters.png"]
OTHER_PNGS = ["gray1.png", "gray4.png", "rgb8_64x48.png"]
BAD = "tests/fixtures/bad"
MODELS = "tests/fixtures/models"
SAMPLE = "samples/00000-ankle-boot.png"
STATIC_BATCH1 = "tests/fixtures/exports/lenet_static_batch1_opset13.onnx"

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def run(exe, args, env=None):
    try:
        return subprocess.run([exe] + args, capture_output=True, timeout=300, env=env)
    except subprocess.TimeoutExpired:
        return None


def describe(args, proc):
    if proc is None:
        return "%s: timed out" % " ".join(args)
    text = "%s: exit %d" % (" ".join(args), proc.returncode)
    if proc.returncode < 0:
        text += " (killed by signal %d)" % -proc.returncode
    err = proc.stderr.decode("utf-8", "replace").strip()
    return text + ("; stderr: " + err if err else "")


def run_json(exe, args):
    """Runs a command expected to succeed and returns its parsed JSON, or None."""
    proc = run(exe, args)
    if proc is None or proc.returncode != 0:
        fail(describe(args, proc))
        return None
    try:
        return json.loads(proc.stdout.decode("utf-8"))
    except ValueError as e:
        fail("%s: stdout is not one JSON object: %s" % (" ".join(args), e))
        return None


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_shape(doc, images, top, ends_in_softmax=False, what=""):
    """JSON keys and types exactly as the contract gives them; scores derived from outputs."""
    ok = True

    def bad(message):
        nonlocal ok
        ok = False
        fail("%s: %s" % (what, message))

    if not isinstance(doc, dict) or set(doc) != {"model", "device", "backend", "arena_bytes",
                                                 "results"}:
        bad("top-level keys %s" % (sorted(doc) if isinstance(doc, dict) else type(doc)))
        return False
    for key in ("model", "device", "backend"):
        if not isinstance(doc[key], str) or not doc[key]:
            bad("%s is %r, not a non-empty string" % (key, doc[key]))
    if not isinstance(doc["arena_bytes"], int) or isinstance(doc["arena_bytes"], bool) or \
            doc["arena_bytes"] <= 0:
        bad("arena_bytes is %r, not a positive integer" % doc["arena_bytes"])
    results = doc["results"]
    if not isinstance(results, list) or len(results) != len(images):
        bad("results is not a list of %d" % len(images))
        return False
    for i, (result, image) in enumerate(zip(results, images)):
        if not isinstance(result, dict) or set(result) != {"image", "output", "top"}:
            bad("results[%d] keys %r" % (i, sorted(result) if isinstance(result, dict) else
                                        result))
            continue
        if result["image"] != image:
            bad("results[%d] is %r, expected %r (input order)" % (i, result["image"], image))
        out = result["output"]
        if not isinstance(out, list) or not out or not all(is_number(v) for v in out):
            bad("results[%d].output is not a list of numbers" % i)
            continue
        if ends_in_softmax:
            scores = out
        else:
            m = max(out)
            e = [math.exp(v - m) for v in out]
            scores = [v / sum(e) for v in e]
        tops = result["top"]
        if not isinstance(tops, list) or len(tops) != min(top, len(out)):
            bad("results[%d].top has %s entries, expected %d" %
                (i, len(tops) if isinstance(tops, list) else "no", min(top, len(out))))
            continue
        previous = math.inf
        for k, entry in enumerate(tops):
            if not isinstance(entry, dict) or set(entry) != {"index", "label", "score"}:
                bad("results[%d].top[%d] keys %r" % (i, k, entry))
                continue
            index, label, score = entry["index"], entry["label"], entry["score"]
            if not isinstance(index, int) or isinstance(index, bool) or \
                    not 0 <= index < len(out):
                bad("results[%d].top[%d].index %r" % (i, k, index))
                continue
            if label is not None and not isinstance(label, str):
                bad("results[%d].top[%d].label %r" % (i, k, label))
            if not is_number(score) or abs(score - scores[index]) > 1e-6 + 1e-5 * scores[index]:
                bad("results[%d].top[%d].score %r, softmax gives %r" %
                    (i, k, score, scores[index]))
                continue
            if score > previous:
                bad("results[%d].top is not sorted by score" % i)
            previous = score
    return ok


EXPORTS_MANIFEST = "tests/fixtures/exports/manifest.json"


def load_expected():
    with open(EXPECTED) as f:
        expected = json.load(f)
    return expected, {r["image"]: r for r in expected["results"]}


def sample_images(by_image, source=EXPECTED):
    images = sorted(glob.glob("samples/*.png"))
    if not images:
        fail("no samples/*.png")
    for image in images:
        if image not in by_image:
            fail("%s: no reference output in %s" % (image, source))
    return [image for image in images if image in by_image]


def compare_to_torch(doc, by_image, what):
    for result in doc["results"]:
        want = by_image[result["image"]]
        out = result["output"]
        if len(out) != len(want["output"]):
            fail("%s %s: %d outputs, torch has %d" % (what, result["image"], len(out),
                                                     len(want["output"])))
            continue
        worst = max(abs(a - b) for a, b in zip(out, want["output"]))
        if worst > TOLERANCE:
            fail("%s %s: max abs difference to torch %.3g > %g" % (what, result["image"], worst,
                                                                   TOLERANCE))
        top = result["top"][0]
        if top["index"] != want["top_index"] or top["label"] != want["top_label"]:
            fail("%s %s: top is %r (%r), torch says %r (%r)" %
                 (what, result["image"], top["label"], top["index"], want["top_label"],
                  want["top_index"]))


def expected_args(expected):
    return ["--json", "--mean", repr(expected["mean"]), "--std", repr(expected["std"]),
            "--labels", expected["labels"], expected["model"]]


def check_batch(exe):
    expected, by_image = load_expected()
    images = sample_images(by_image)
    for order, listed in (("sorted", images), ("reversed", images[::-1])):
        args = expected_args(expected) + listed
        doc = run_json(exe, args)
        if doc is not None and check_shape(doc, listed, 5, what="batch (%s)" % order):
            compare_to_torch(doc, by_image, "batch (%s)" % order)
            if doc["model"] != expected["model"]:
                fail("model is %r, expected the path given, %r" % (doc["model"],
                                                                   expected["model"]))
    print("batch: %d images, checked in two orders" % len(images))


def check_single(exe):
    expected, by_image = load_expected()
    images = sample_images(by_image)
    for image in images:
        doc = run_json(exe, expected_args(expected) + [image])
        if doc is not None and check_shape(doc, [image], 5, what="single " + image):
            compare_to_torch(doc, by_image, "single")
    # A model with a static batch of 1: the tool itself runs the images one by one.
    if not os.path.exists(STATIC_BATCH1):
        fail("missing fixture " + STATIC_BATCH1)
        return
    args = expected_args(expected)[:-1] + [STATIC_BATCH1] + images
    doc = run_json(exe, args)
    if doc is not None and check_shape(doc, images, 5, what="static batch 1"):
        compare_to_torch(doc, by_image, "static batch 1")
    print("single: %d images, one process each, then one by one in one process" % len(images))


def check_formats(exe):
    reference = os.path.join(PNG_DIR, "gray8.png")
    same = [os.path.join(PNG_DIR, name) for name in IDENTICAL_PNGS]
    other = [os.path.join(PNG_DIR, name) for name in OTHER_PNGS]
    for path in [reference] + same + other:
        if not os.path.exists(path):
            fail("missing fixture " + path)
    images = [reference] + same + other
    # Each image alone (batch 1), so that every output comes from the very same kernels.
    outputs = {}
    for image in images:
        doc = run_json(exe, ["--json"] + NORM + [MODEL, image])
        if doc is not None and check_shape(doc, [image], 5, what="formats " + image):
            outputs[image] = doc["results"][0]["output"]
    if reference not in outputs:
        return
    for image in same:
        if image in outputs:
            worst = max(abs(a - b) for a, b in zip(outputs[image], outputs[reference]))
            if worst > 1e-5:
                fail("%s: output differs from gray8.png's by %.3g" % (image, worst))
    # And all of them in one run: the same outputs again.
    doc = run_json(exe, ["--json"] + NORM + [MODEL] + images)
    if doc is not None and check_shape(doc, images, 5, what="formats batch"):
        for result in doc["results"]:
            if result["image"] not in outputs:
                continue
            worst = max(abs(a - b) for a, b in zip(result["output"], outputs[result["image"]]))
            if worst > 1e-5:
                fail("%s: batch output differs from its single run by %.3g" %
                     (result["image"], worst))
    print("formats: %d PNG fixtures" % len(images))


def expect_bad(exe, args, fragments, code=2, env=None):
    """The command fails with `code`, one stderr line naming every fragment, nothing on
    stdout and no crash."""
    proc = run(exe, args, env)
    what = " ".join(args) if args else "(no arguments)"
    if proc is None or proc.returncode < 0:
        fail(describe(args, proc))
        return
    err = proc.stderr.decode("utf-8", "replace")
    lines = err.splitlines()
    if proc.returncode != code:
        fail("%s: exit %d, expected %d; stderr: %s" % (what, proc.returncode, code, err.strip()))
    if len(lines) != 1 or not err.endswith("\n"):
        fail("%s: stderr has %d lines, expected exactly one: %r" % (what, len(lines), err))
    elif not lines[0].startswith("lenet-onnx-run: "):
        fail("%s: stderr does not start with 'lenet-onnx-run: ': %r" % (what, lines[0]))
    for fragment in fragments:
        if fragment not in err:
            fail("%s: stderr does not mention %r: %r" % (what, fragment, err.strip()))
    if proc.stdout:
        fail("%s: wrote to stdout: %r" % (what, proc.stdout[:200]))


def check_bad_input(exe):
    cases = [
        # models
        (["models/does_not_exist.onnx", SAMPLE], ["models/does_not_exist.onnx"]),
        ([os.path.join(MODELS, "empty.onnx"), SAMPLE], [os.path.join(MODELS, "empty.onnx")]),
        ([os.path.join(MODELS, "truncated.onnx"), SAMPLE],
         [os.path.join(MODELS, "truncated.onnx")]),
        ([os.path.join(MODELS, "random_bytes.onnx"), SAMPLE],
         [os.path.join(MODELS, "random_bytes.onnx")]),
        ([os.path.join(MODELS, "unsupported_op.onnx"), SAMPLE],
         ["FancyUnsupportedOp", "mystery_node"]),
        ([SAMPLE, SAMPLE], [SAMPLE]),  # a PNG given as the model
        # images
        ([MODEL, "samples/does_not_exist.png"], ["samples/does_not_exist.png", "cannot open"]),
        ([MODEL, os.path.join(BAD, "not_a_png.png")],
         [os.path.join(BAD, "not_a_png.png") + ": not a PNG file"]),
        ([MODEL, SAMPLE, os.path.join(BAD, "truncated.png")],
         [os.path.join(BAD, "truncated.png") + ": truncated or corrupt PNG data"]),
        ([MODEL, os.path.join(BAD, "huge_header.png")],
         [os.path.join(BAD, "huge_header.png") + ": image is 100000x100000, larger than"]),
        ([MODEL, os.path.join(BAD, "too_many_pixels.png")],
         [os.path.join(BAD, "too_many_pixels.png"), "pixel limit"]),
        ([MODEL, os.path.join(BAD, "empty.png")], [os.path.join(BAD, "empty.png")]),
        ([MODEL, os.path.join(BAD, "signature_only.png")],
         [os.path.join(BAD, "signature_only.png")]),
        ([MODEL, os.path.join(BAD, "bad_crc.png")], [os.path.join(BAD, "bad_crc.png")]),
        ([MODEL, os.path.join(BAD, "bad_zlib.png")], [os.path.join(BAD, "bad_zlib.png")]),
        ([MODEL, os.path.join(BAD, "bad_ihdr.png")], [os.path.join(BAD, "bad_ihdr.png")]),
        ([MODEL, os.path.join(BAD, "zero_width.png")], [os.path.join(BAD, "zero_width.png")]),
        ([MODEL, BAD], [BAD]),  # a directory
        # options
        ([], ["missing"]),
        ([MODEL], ["missing"]),
        (["--frobnicate", MODEL, SAMPLE], ["--frobnicate"]),
        (["-x", MODEL, SAMPLE], ["-x"]),
        (["--top", "0", MODEL, SAMPLE], ["--top"]),
        (["--top", "-3", MODEL, SAMPLE], ["--top"]),
        (["--top", "many", MODEL, SAMPLE], ["--top"]),
        ([MODEL, SAMPLE, "--top"], ["--top"]),
        (["--std", "0", MODEL, SAMPLE], ["--std"]),
        (["--std", "0.5,0,0.5", MODEL, SAMPLE], ["--std"]),
        (["--std", "1,2", MODEL, SAMPLE], ["--std"]),
        (["--mean", "abc", MODEL, SAMPLE], ["--mean"]),
        (["--mean", "0.1,0.2,0.3,0.4", MODEL, SAMPLE], ["--mean"]),
        (["--mean", "nan", MODEL, SAMPLE], ["--mean"]),
        (["--backend", "metal", MODEL, SAMPLE], ["--backend"]),
        (["--device", "-1", MODEL, SAMPLE], ["--device"]),
        (["--device", "99", MODEL, SAMPLE], ["--device 99"]),
        (["--json=yes", MODEL, SAMPLE], ["--json"]),
        (["--labels", "models/no_labels.txt", MODEL, SAMPLE], ["models/no_labels.txt"]),
    ]
    for args, fragments in cases:
        for arg in args:
            if arg.startswith((MODELS, BAD)) and not os.path.exists(arg):
                fail("missing fixture " + arg)
        expect_bad(exe, args + (["--json"] if args else []), fragments)
    print("bad_input: %d cases" % len(cases))


def check_device_list(exe):
    proc = run(exe, ["--device", "list"])
    if proc is None or proc.returncode != 0:
        fail(describe(["--device", "list"], proc))
        return
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    pattern = re.compile(r"^(\d+)\s+(cpu|gpu|accelerator|other)\s+\S")
    devices = [line for line in lines if pattern.match(line)]
    if not devices:
        fail("--device list printed no device line: %r" % lines)
    for i, line in enumerate(devices):
        if int(pattern.match(line).group(1)) != i:
            fail("--device list: line %d has index %s" % (i, line))
    print("device_list: %d device(s)\n%s" % (len(devices), "\n".join(lines)))


def check_options(exe):
    expected, by_image = load_expected()
    labels = [line.rstrip("\n") for line in open(LABELS)]
    two = [SAMPLE, "samples/00001-pullover.png"]
    base = run_json(exe, ["--json"] + NORM + [MODEL] + two)
    if base is None or not check_shape(base, two, 5, what="default top"):
        return
    outputs = [r["output"] for r in base["results"]]
    if any(t["label"] is not None for r in base["results"] for t in r["top"]):
        fail("labels are not null without --labels")

    for top, want in (("1", 1), ("3", 3), ("10", 10), ("50", 10)):
        doc = run_json(exe, ["--json", "--top", top] + NORM + [MODEL] + two)
        if doc is not None:
            check_shape(doc, two, want, what="--top " + top)

    # The same preprocessing spelled differently, and options after the operands.
    for args in (["--mean", "0.5,0.5,0.5", "--std", "0.5,0.5,0.5", MODEL] + two,
                 ["--mean=0.5", "--std=0.5", MODEL] + two,
                 [MODEL] + two + ["--mean", "0.5", "--std", "0.5"],
                 NORM + ["--", MODEL] + two):
        doc = run_json(exe, ["--json"] + args)
        if doc is not None and check_shape(doc, two, 5, what=" ".join(args)):
            if [r["output"] for r in doc["results"]] != outputs:
                fail("%s: outputs differ from --mean 0.5 --std 0.5" % " ".join(args))
    doc = run_json(exe, ["--json", MODEL, SAMPLE])
    if doc is not None and doc["results"][0]["output"] == outputs[0]:
        fail("the default mean 0 / std 1 gives the same output as mean 0.5 / std 0.5")

    # Labels: the real file, then one that needs JSON escaping, shorter than the output.
    doc = run_json(exe, ["--json", "--top", "10", "--labels", LABELS] + NORM + [MODEL, SAMPLE])
    if doc is not None:
        for entry in doc["results"][0]["top"]:
            if entry["label"] != labels[entry["index"]]:
                fail("label of %d is %r, expected %r" % (entry["index"], entry["label"],
                                                         labels[entry["index"]]))
        want = by_image[SAMPLE]["top_label"]
        if doc["results"][0]["top"][0]["label"] != want:
            fail("top label %r, expected %r" % (doc["results"][0]["top"][0]["label"], want))
    tricky = [b'quote " and backslash \\', b"tab\there", "caf\u00e9 \u2603".encode(),
              b"latin1 \xe9", b"control \x01", b"", b"windows\r"]
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write(b"\n".join(tricky) + b"\n")
        tricky_path = f.name
    try:
        want = ['quote " and backslash \\', "tab\there", "caf\u00e9 \u2603", "latin1 \ufffd",
                "control \x01", "", "windows"]
        doc = run_json(exe, ["--json", "--top", "10", "--labels", tricky_path] + NORM +
                       [MODEL, SAMPLE])
        if doc is not None:
            for entry in doc["results"][0]["top"]:
                i = entry["index"]
                expect = want[i] if i < len(want) else None
                if entry["label"] != expect:
                    fail("escaped label %d is %r, expected %r" % (i, entry["label"], expect))
    finally:
        os.unlink(tricky_path)

    # The readable table.
    args = ["--top", "3", "--labels", LABELS] + NORM + [MODEL] + two
    proc = run(exe, args)
    if proc is None or proc.returncode != 0:
        fail(describe(args, proc))
    else:
        text = proc.stdout.decode("utf-8")
        for needle in two + [by_image[image]["top_label"] for image in two]:
            if needle not in text:
                fail("table output lacks %r:\n%s" % (needle, text))
        if text.lstrip().startswith("{"):
            fail("table output is JSON")

    # --verbose: diagnostics on stderr, stdout still one JSON object.
    args = ["--json", "--verbose"] + NORM + [MODEL] + two
    proc = run(exe, args)
    if proc is None or proc.returncode != 0:
        fail(describe(args, proc))
    else:
        err = proc.stderr.decode("utf-8", "replace")
        for needle in ("arena", "Conv", " ms"):
            if needle not in err:
                fail("--verbose stderr lacks %r:\n%s" % (needle, err))
        try:
            check_shape(json.loads(proc.stdout.decode("utf-8")), two, 5, what="--verbose")
        except ValueError as e:
            fail("--verbose --json stdout is not JSON: %s" % e)

    # --device 0 picks the first listed device.
    doc = run_json(exe, ["--json", "--device", "0"] + NORM + [MODEL, SAMPLE])
    if doc is not None and check_shape(doc, [SAMPLE], 5, what="--device 0"):
        worst = max(abs(a - b) for a, b in zip(doc["results"][0]["output"], outputs[0]))
        if worst > TOLERANCE:
            fail("--device 0: outputs differ by %.3g" % worst)

    # Vulkan is not built yet: a runtime failure (exit 1) on one line; once built, it runs.
    args = ["--json", "--backend", "vulkan"] + NORM + [MODEL, SAMPLE]
    proc = run(exe, args)
    if proc is None or proc.returncode < 0:
        fail(describe(args, proc))
    elif proc.returncode == 1:
        err = proc.stderr.decode("utf-8", "replace")
        if len(err.splitlines()) != 1 or "vulkan" not in err:
            fail("--backend vulkan: expected one stderr line naming vulkan, got %r" % err)
    elif proc.returncode != 0:
        fail(describe(args, proc) + " (expected 1 while Vulkan is not built, or 0)")

    proc = run(exe, ["--help"])
    if proc is None or proc.returncode != 0 or b"usage:" not in proc.stdout or proc.stderr:
        fail(describe(["--help"], proc))
    print("options: checked")


# For models whose ops are not all in the library yet: while this is True, the exports check
# skips a model with its own reference (the other architectures, not the LeNet matrix) when
# lenet-onnx-run rejects it as unsupported (exit 2). False since the ops they use are merged:
# every model must run.
TOLERATE_UNSUPPORTED = False


def load_reference(path):
    with open(path) as f:
        reference = json.load(f)
    return reference, {r["image"]: r for r in reference["results"]}


def check_exports(exe):
    """Every exporter variant of the trained weights reproduces torch's outputs, and every
    other architecture its own reference (torch's, or the numpy interpreter's for the
    hand-built Keras graph), with its own preprocessing, layout, channel count and head."""
    with open(EXPORTS_MANIFEST) as f:
        manifest = json.load(f)
    checked = skipped = 0
    for model in manifest["models"]:
        source = model.get("reference", manifest["reference"])
        reference, by_image = load_reference(source)
        images = sample_images(by_image, source)
        mean = model.get("mean", reference["mean"])
        std = model.get("std", reference["std"])
        softmax = bool(model.get("ends_in_softmax", False))
        args = ["--json", "--mean", repr(mean), "--std", repr(std), "--labels",
                reference["labels"], model["file"]] + images
        what = "%s (opset %d, %s, batch %s)" % (model["file"], model["opset"], model["flatten"],
                                               model["batch"])
        layout = model.get("layout")
        if layout:
            args = ["--verbose"] + args
        proc = run(exe, args)
        err = proc.stderr.decode("utf-8", "replace").strip() if proc else ""
        if TOLERATE_UNSUPPORTED and "reference" in model and proc is not None and \
                proc.returncode == 2 and "unsupported" in err:
            print("SKIP %s: %s" % (model["file"], err))
            skipped += 1
            continue
        if proc is None or proc.returncode != 0:
            fail(describe(args, proc))
            continue
        try:
            doc = json.loads(proc.stdout.decode("utf-8"))
        except ValueError as e:
            fail("%s: stdout is not one JSON object: %s" % (what, e))
            continue
        if layout:
            # --verbose names the input the tool filled: "input NHWC 3x32x32"
            want = "input %s %dx" % (layout, model["channels"])
            if want not in err:
                fail("%s: --verbose does not say %r: %r" % (what, want, err))
        if check_shape(doc, images, 5, ends_in_softmax=softmax, what=what):
            compare_to_torch(doc, by_image, what)
        checked += 1
    print("exports: %d models checked, %d skipped as unsupported" % (checked, skipped))


def check_many(exe):
    """Hundreds of images as one batch, each output still torch's."""
    expected, by_image = load_expected()
    images = sample_images(by_image) * 15
    doc = run_json(exe, expected_args(expected) + images)
    if doc is not None and check_shape(doc, images, 5, what="%d images" % len(images)):
        compare_to_torch(doc, by_image, "many")
    print("many: %d images in one batch" % len(images))


def check_plugin(exe):
    """The plugin is loaded with dlopen: --plugin and LENET_ONNX_PLUGIN pick it (--plugin first);
    a path that is no plugin fails with exit 1 and one line naming it."""
    plugin = os.environ.get("LENET_ONNX_TEST_PLUGIN")
    missing = "/nonexistent/liblenet-onnx.so.0"
    args = [MODEL, SAMPLE]
    expect_bad(exe, ["--plugin", missing] + args, [missing, "cannot load"], code=1)
    expect_bad(exe, ["--plugin=" + missing, "--device", "list"], [missing], code=1)
    expect_bad(exe, ["--plugin", MODEL] + args, [MODEL, "cannot load"], code=1)
    bad_env = dict(os.environ, LENET_ONNX_PLUGIN=missing)
    expect_bad(exe, args, [missing, "cannot load"], code=1, env=bad_env)
    if not plugin:
        fail("LENET_ONNX_TEST_PLUGIN is not set")
        return
    for what, extra, env in (("--plugin", ["--plugin", plugin], None),
                             ("LENET_ONNX_PLUGIN", [], dict(os.environ, LENET_ONNX_PLUGIN=plugin)),
                             ("--plugin over LENET_ONNX_PLUGIN", ["--plugin", plugin], bad_env)):
        proc = run(exe, extra + ["--json"] + args, env)
        if proc is None or proc.returncode != 0:
            fail("%s: %s" % (what, describe(extra + args, proc)))
        elif json.loads(proc.stdout)["results"][0]["image"] != SAMPLE:
            fail("%s: unexpected output %r" % (what, proc.stdout[:200]))
    print("plugin: load failures and overrides checked")


CHECKS = {"plugin": check_plugin, "batch": check_batch, "single": check_single, "formats": check_formats,
          "bad_input": check_bad_input, "device_list": check_device_list,
          "options": check_options, "exports": check_exports, "many": check_many}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CHECKS:
        print(__doc__)
        return 2
    CHECKS[sys.argv[1]](os.path.abspath(sys.argv[2]))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
