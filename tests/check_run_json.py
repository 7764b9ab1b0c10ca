#!/usr/bin/env python3
"""End-to-end checks of lenet-onnx-run (and the conventions of all three tools) against the
command-line contract of docs/cli.md.

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
               that is no plugin exits 1 with one line naming it; --plugin wins over the
               variable; --plugin '' is bad usage
  defaults     with no options the bundled model prints exactly what --mean 0.5 --std 0.5
               --labels models/lenet-labels.txt prints (its metadata); a model without metadata
               takes MODEL-labels.txt, else labels.txt, beside it; --verbose names every
               setting's source; a label count that differs from the class count fails
  dataset      a folder and '-' (paths on stdin) as inputs; --batch 7 streams the samples with
               the results of one batch; --keep-going; --jsonl; 10,000 images through --batch
               256 with the peak memory of 1,000
  formats_more a JPEG (written by make_jpeg, LENET_ONNX_TEST_MAKE_JPEG) classifies as its PNG;
               raw .npy and .pb tensors (written here from the PNG's decoded pixels) give the
               PNG's output
  hostile      character devices, FIFOs and folders as model, image or labels file: exit 2 at
               once, one line; operands swapped: "the model comes first"
  info         --info (text) and --info --json describe the bundled model and its plan
  external     the bundled model saved with external data (written here) gives the same
               output; a location outside the model's folder (.., a symlink) and a data file
               shorter than its offsets are refused
  compare      --compare-backend ref: every step of the bundled model within tolerance of the
               reference backend on the chosen one (LENET_ONNX_BACKEND), as a table and JSON;
               with --tolerance 0,0 the first differing step is named and the exit is 1
  plan_svg     --plan-svg draws one labelled rectangle per arena buffer, none overlapping
               another alive at the same step, inside the arena the plan reports
  tools        --help (stdout, exit 0), --version, unknown options (exit 2, one line) and
               --device list [--json] in lenet-onnx-run, -bench and -check
               (LENET_ONNX_TEST_BENCH, LENET_ONNX_TEST_CHECK); a missing folder for -check

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
        ([SAMPLE, SAMPLE], [SAMPLE, "the model comes first"]),  # a PNG given as the model
        # images
        ([MODEL, "samples/does_not_exist.png"], ["samples/does_not_exist.png", "cannot open"]),
        ([MODEL, os.path.join(BAD, "not_a_png.png")],
         [os.path.join(BAD, "not_a_png.png") + ": not a PNG or JPEG image"]),
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
        ([MODEL, BAD], [BAD]),  # a folder of broken images: the first one stops the run
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
        (["--batch", "0", MODEL, SAMPLE], ["--batch"]),
        (["--jsonl", MODEL, SAMPLE], ["--jsonl"]),  # with --json (added below): choose one
        (["--keep-going=1", MODEL, SAMPLE], ["--keep-going"]),
        (["--info", MODEL, SAMPLE], ["--info"]),
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
    # "BACKEND INDEX TYPE NAME (DRIVER, VERSION, N MiB)", indices counting per backend
    pattern = re.compile(r"^(\S+)\s+(\d+)\s+(cpu|gpu|accelerator|other)\s+\S.*MiB\)$")
    devices = [pattern.match(line) for line in lines if pattern.match(line)]
    if not devices or len(devices) != len(lines):
        fail("--device list: lines not in the listing format: %r" % lines)
    seen = {}
    for m in devices:
        want = seen.get(m.group(1), 0)
        if int(m.group(2)) != want:
            fail("--device list: %s device has index %s, expected %d" % (m.group(1),
                                                                       m.group(2), want))
        seen[m.group(1)] = want + 1
    doc = run_json(exe, ["--device", "list", "--json"])
    if doc is not None:
        listed = doc.get("devices") if isinstance(doc, dict) else None
        keys = {"backend", "index", "type", "name", "driver", "driver_version", "memory_bytes"}
        if not isinstance(listed, list) or len(listed) != len(devices) or \
                any(set(d) != keys for d in listed):
            fail("--device list --json: %r" % doc)
        elif [(d["backend"], d["index"], d["type"]) for d in listed] != \
                [(m.group(1), int(m.group(2)), m.group(3)) for m in devices]:
            fail("--device list --json disagrees with the text listing: %r" % listed)
    print("device_list: %d device(s)\n%s" % (len(devices), "\n".join(lines)))


def check_options(exe):
    expected, by_image = load_expected()
    labels = [line.rstrip("\n") for line in open(LABELS)]
    two = [SAMPLE, "samples/00001-pullover.png"]
    base = run_json(exe, ["--json"] + NORM + [MODEL] + two)
    if base is None or not check_shape(base, two, 5, what="default top"):
        return
    outputs = [r["output"] for r in base["results"]]
    # The bundled model names its classes (metadata lenet_onnx.labels).
    if any(t["label"] != labels[t["index"]] for r in base["results"] for t in r["top"]):
        fail("labels without --labels are not the model's own")

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
    # One image against one image: the same batch, so the same kernels (a batch of two may
    # sum in another order: at small batches the head is one Gemm chain of two rows a group).
    single = run_json(exe, ["--json"] + NORM + [MODEL, SAMPLE])
    doc = run_json(exe, ["--json", MODEL, SAMPLE])
    if doc is not None and single is not None and \
            doc["results"][0]["output"] != single["results"][0]["output"]:
        fail("the model's own preprocessing (metadata) differs from --mean 0.5 --std 0.5")
    doc = run_json(exe, ["--json", "--mean", "0", "--std", "1", MODEL, SAMPLE])
    if doc is not None and doc["results"][0]["output"] == outputs[0]:
        fail("--mean 0 --std 1 does not override the model's mean 0.5 / std 0.5")

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
              b"latin1 \xe9", b"control \x01", b"", b"windows\r", b"8", b"9", b"10"]
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write(b"\n".join(tricky) + b"\n")
        tricky_path = f.name
    try:
        want = ['quote " and backslash \\', "tab\there", "caf\u00e9 \u2603", "latin1 \ufffd",
                "control \x01", "", "windows", "8", "9", "10"]
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

    # --backend vulkan runs where Vulkan is built and has a device; a build without it refuses
    # the name as bad usage (exit 2), one without a Vulkan driver fails at run time (exit 1),
    # each on one stderr line naming vulkan.
    args = ["--json", "--backend", "vulkan"] + NORM + [MODEL, SAMPLE]
    proc = run(exe, args)
    if proc is None or proc.returncode < 0:
        fail(describe(args, proc))
    elif proc.returncode in (1, 2):
        err = proc.stderr.decode("utf-8", "replace")
        if len(err.splitlines()) != 1 or "vulkan" not in err:
            fail("--backend vulkan: expected one stderr line naming vulkan, got %r" % err)
    elif proc.returncode != 0:
        fail(describe(args, proc) + " (expected 0, or 1 or 2 without Vulkan)")

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
    expect_bad(exe, ["--plugin", ""] + args, ["--plugin ''"], code=2)
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


def run_text(exe, args, env=None, stdin=None):
    """Runs a command expected to succeed; its stdout as text, or None."""
    try:
        proc = subprocess.run([exe] + args, capture_output=True, timeout=600, env=env,
                              input=stdin)
    except subprocess.TimeoutExpired:
        proc = None
    if proc is None or proc.returncode != 0:
        fail(describe(args, proc))
        return None
    return proc.stdout.decode("utf-8")


def check_defaults(exe):
    """The bundled model carries its preprocessing and labels: no options needed."""
    samples = sorted(glob.glob("samples/*.png"))
    plain = run_text(exe, [MODEL] + samples)
    full = run_text(exe, NORM + ["--labels", LABELS, MODEL] + samples)
    if plain is not None and full is not None and plain != full:
        fail("'%s samples/*.png' differs from the fully specified command" % MODEL)
    if plain is not None and plain.count("\n  ") < 20:
        fail("unexpected output:\n" + plain)
    proc = run(exe, ["--verbose", "--json", MODEL, SAMPLE])
    if proc is None or proc.returncode != 0:
        fail(describe(["--verbose", MODEL, SAMPLE], proc))
    else:
        err = proc.stderr.decode("utf-8", "replace")
        for needle in ("metadata lenet_onnx.mean", "metadata lenet_onnx.std",
                       "metadata lenet_onnx.labels", "Rgb8 (metadata Image.BitmapPixelFormat)",
                       "SRGB (metadata Image.ColorSpaceGamma)", "(default)"):
            if needle not in err:
                fail("--verbose does not say %r:\n%s" % (needle, err))
    proc = run(exe, ["--verbose", "--mean", "0.5", "--labels", LABELS, MODEL, SAMPLE])
    if proc is not None and proc.returncode == 0:
        err = proc.stderr.decode("utf-8", "replace")
        for needle in ("(--mean)", LABELS + " (--labels)"):
            if needle not in err:
                fail("--verbose does not say %r:\n%s" % (needle, err))
    # A model without metadata: labels from a file beside it, MODEL-labels.txt first.
    plain_model = "tests/fixtures/exports/lenet_flatten_opset13.onnx"
    labels = [line.rstrip("\n") for line in open(LABELS)]
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "net.onnx")
        with open(plain_model, "rb") as src, open(model, "wb") as dst:
            dst.write(src.read())
        doc = run_json(exe, ["--json"] + NORM + [model, SAMPLE])
        if doc is not None and doc["results"][0]["top"][0]["label"] is not None:
            fail("a model without metadata or labels file has labels: %r" % doc)
        with open(os.path.join(tmp, "labels.txt"), "w") as f:
            f.write("\n".join("generic %d" % i for i in range(10)) + "\n")
        doc = run_json(exe, ["--json"] + NORM + [model, SAMPLE])
        if doc is not None and doc["results"][0]["top"][0]["label"] != "generic 9":
            fail("labels.txt beside the model is not used: %r" % doc["results"][0]["top"][0])
        with open(os.path.join(tmp, "net-labels.txt"), "w") as f:
            f.write("\n".join(labels) + "\n")
        doc = run_json(exe, ["--json"] + NORM + [model, SAMPLE])
        if doc is not None and doc["results"][0]["top"][0]["label"] != "Ankle boot":
            fail("net-labels.txt does not win over labels.txt: %r" % doc["results"][0]["top"])
        with open(os.path.join(tmp, "net-labels.txt"), "w") as f:
            f.write("a\nb\nc\n")
        expect_bad(exe, NORM + [model, SAMPLE], ["3 labels", "10 classes", "net-labels.txt"])
        seven = os.path.join(tmp, "seven.txt")
        with open(seven, "w") as f:
            f.write("1\n2\n3\n4\n5\n6\n7\n")
        expect_bad(exe, ["--labels", seven, MODEL, SAMPLE], ["7 labels", "10 classes"])
    print("defaults: no-option output, labels beside the model, sources, label count")


def wait_rss(args, stdin_bytes):
    """Runs args with stdin; (exit status, stdout bytes, peak RSS in KiB) of that process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as data:
        data.write(stdin_bytes)
        data.seek(0)
        # Under AddressSanitizer freed blocks wait in a quarantine of up to 256 MiB, which
        # would count as growth here; without one, the allocator's own peak is what counts.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
        proc = subprocess.Popen(args, stdin=data, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return proc.returncode, out.read(), usage.ru_maxrss


def close(a, b, tolerance=1e-5):
    """Outputs of one image in two batch sizes: the kernels may sum in another order."""
    return a is not None and b is not None and len(a) == len(b) and \
        all(abs(x - y) <= tolerance for x, y in zip(a, b))


def check_dataset(exe):
    samples = sorted(glob.glob("samples/*.png"))
    one = run_json(exe, ["--json", MODEL] + samples)
    if one is None:
        return
    by_image = {r["image"]: r["output"] for r in one["results"]}
    # A folder: its image files in name order.
    doc = run_json(exe, ["--json", "--batch", "7", MODEL, "samples"])
    if doc is not None:
        got = [r["image"] for r in doc["results"]]
        if got != ["samples/" + os.path.basename(i) for i in samples]:
            fail("folder input: %r" % got)
        for r in doc["results"]:
            if not close(r["output"], by_image.get(r["image"])):
                fail("%s: --batch 7 output differs from one batch of 20" % r["image"])
    # '-': paths on stdin, one per line (blank lines skipped), mixed with operands.
    listing = ("\n".join(samples[1:]) + "\n\n").encode()
    try:
        proc = subprocess.run([exe, "--jsonl", "--batch", "3", MODEL, samples[0], "-"],
                              input=listing, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        proc = None
    if proc is None or proc.returncode != 0:
        fail(describe(["--jsonl", "-"], proc))
    else:
        lines = proc.stdout.decode().splitlines()
        records = [json.loads(line) for line in lines]
        if [r["image"] for r in records] != samples:
            fail("stdin list: %r" % [r["image"] for r in records])
        for r in records:
            if set(r) != {"image", "output", "top"} or not close(r["output"], by_image[r["image"]]):
                fail("--jsonl record %r" % r)
    # --keep-going: a broken input gets an error result, the others run, exit 2.
    bad = os.path.join(BAD, "truncated.png")
    args = ["--json", "--keep-going", MODEL, samples[0], bad, samples[1]]
    proc = run(exe, args)
    if proc is None or proc.returncode != 2:
        fail("--keep-going: " + describe(args, proc) + " (expected exit 2)")
    else:
        doc = json.loads(proc.stdout.decode())
        results = doc["results"]
        err = proc.stderr.decode()
        if [r["image"] for r in results] != [samples[0], bad, samples[1]] or \
                set(results[1]) != {"image", "error"} or "truncated" not in results[1]["error"]:
            fail("--keep-going results: %r" % results)
        elif not close(results[0]["output"], by_image[samples[0]]) or \
                not close(results[2]["output"], by_image[samples[1]]):
            fail("--keep-going: the good inputs' outputs changed")
        if bad not in err or "1 of 3 inputs" not in err:
            fail("--keep-going stderr: %r" % err)
    # 10,000 images through --batch 256: the peak memory of 1,000.
    rss = {}
    for count in (1000, 10000):
        paths = "".join(samples[i % len(samples)] + "\n" for i in range(count)).encode()
        code, out, peak = wait_rss([exe, "--jsonl", "--batch", "256", MODEL, "-"], paths)
        lines = out.decode().splitlines()
        if code != 0 or len(lines) != count:
            fail("%d images on stdin: exit %d, %d result lines" % (count, code, len(lines)))
            return
        last = json.loads(lines[-1])
        if last["image"] != samples[(count - 1) % len(samples)] or \
                not close(last["output"], by_image[last["image"]]):
            fail("%d images: last result %r" % (count, last))
        rss[count] = peak
    # A batch of every input (what the tool did before --batch) needs 10 times the arena.
    if rss[10000] > rss[1000] + 32 * 1024:
        fail("10,000 images peak at %d KiB, 1,000 at %d KiB: memory grows with the inputs" %
             (rss[10000], rss[1000]))
    print("dataset: folder, stdin, --batch, --keep-going, --jsonl; peak RSS %d KiB (1,000) "
          "and %d KiB (10,000)" % (rss[1000], rss[10000]))


def png_gray_pixels(path):
    """The samples of an 8-bit gray, non-interlaced PNG (what samples/*.png are)."""
    import struct
    import zlib
    data = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color == 0 and interlace == 0
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(width)
    for y in range(height):
        kind = raw[y * (width + 1)]
        line = bytearray(raw[y * (width + 1) + 1:(y + 1) * (width + 1)])
        for x in range(width):
            a = line[x - 1] if x else 0
            b, c = prev[x], prev[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, b"".join(rows)


def check_formats_more(exe):
    import struct
    sys.path.insert(0, "tools")
    import onnx_wire
    base = run_json(exe, ["--json", MODEL, SAMPLE])
    if base is None:
        return
    reference = base["results"][0]
    with tempfile.TemporaryDirectory() as tmp:
        jpeg = os.path.join(tmp, "boot.jpg")
        maker = os.environ.get("LENET_ONNX_TEST_MAKE_JPEG")
        if not maker or subprocess.run([maker, SAMPLE, jpeg]).returncode != 0:
            fail("make_jpeg (LENET_ONNX_TEST_MAKE_JPEG) could not write a JPEG")
        else:
            doc = run_json(exe, ["--json", MODEL, jpeg])
            if doc is not None:
                got = doc["results"][0]
                worst = max(abs(a - b) for a, b in zip(got["output"], reference["output"]))
                if got["top"][0]["index"] != reference["top"][0]["index"] or worst > 0.5:
                    fail("JPEG: top %r, max logit difference %.3g to the PNG's" %
                         (got["top"][0], worst))
        # The tool's preprocessing of the sample, done here: gray replicated, (v/255-0.5)/0.5.
        width, height, pixels = png_gray_pixels(SAMPLE)
        values = [(v / 255.0 - 0.5) / 0.5 for v in pixels] * 3
        floats = struct.pack("<%df" % len(values), *values)
        npy = os.path.join(tmp, "boot.npy")
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, %d, %d), }" % (
            height, width)
        header += " " * (63 - (len(header) + 10) % 64) + "\n"
        with open(npy, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() +
                    floats)
        pb = os.path.join(tmp, "boot.pb")
        tensor = b"".join(onnx_wire.field_varint(1, d) for d in (3, height, width))
        tensor += onnx_wire.field_varint(2, 1) + onnx_wire.field_bytes(8, "input")
        tensor += onnx_wire.field_bytes(9, floats)
        with open(pb, "wb") as f:
            f.write(tensor)
        doc = run_json(exe, ["--json", MODEL, npy, pb])
        if doc is not None:
            for r in doc["results"]:
                worst = max(abs(a - b) for a, b in zip(r["output"], reference["output"]))
                if worst > 1e-5:
                    fail("%s: output differs from the PNG's by %.3g" % (r["image"], worst))
        wrong = os.path.join(tmp, "wrong.npy")
        with open(wrong, "wb") as f:
            header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
            header += " " * (63 - (len(header) + 10) % 64) + "\n"
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() +
                    b"\0" * 16)
        expect_bad(exe, [MODEL, wrong], [wrong, "shape [2,2]"])
    print("formats_more: JPEG, .npy and .pb inputs")


def check_hostile(exe):
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "fifo")
        os.mkfifo(fifo)
        cases = [
            (["/dev/urandom", SAMPLE], ["/dev/urandom", "character device"]),
            ([MODEL, "/dev/zero"], ["/dev/zero", "not a regular file"]),
            (["--labels", "/dev/zero", MODEL, SAMPLE], ["/dev/zero", "labels file"]),
            ([fifo, SAMPLE], [fifo, "FIFO"]),
            ([MODEL, fifo], [fifo, "FIFO"]),
            (["--labels", fifo, MODEL, SAMPLE], [fifo, "FIFO"]),
            (["--labels", "samples", MODEL, SAMPLE], ["samples", "folder"]),
            (["samples", SAMPLE], ["samples", "folder"]),
            ([MODEL, MODEL], [MODEL, "the model comes first"]),
            (["--plugin", "", MODEL, SAMPLE], ["--plugin"]),
        ]
        # A JPEG header promising 20000x20000 pixels: refused before any pixel memory.
        import struct

        def segment(marker, body):
            return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
        huge = os.path.join(tmp, "huge.jpg")
        with open(huge, "wb") as f:
            f.write(b"\xff\xd8" + segment(0xdb, b"\x00" + b"\x01" * 64) +
                    segment(0xc0, struct.pack(">BHHB", 8, 20000, 20000, 1) + b"\x01\x11\x00") +
                    segment(0xda, b"\x01\x01\x00\x00\x3f\x00") + b"\x00" * 16 + b"\xff\xd9")
        cases.append(([MODEL, huge], [huge, "20000x20000 JPEG image is larger than"]))
        truncated = os.path.join(tmp, "truncated.jpg")
        maker = os.environ.get("LENET_ONNX_TEST_MAKE_JPEG")
        if maker and subprocess.run([maker, SAMPLE, truncated],
                                    stdout=subprocess.DEVNULL).returncode == 0:
            for size, name in ((200, "header"), (400, "data")):
                cut = os.path.join(tmp, "truncated_%s.jpg" % name)
                with open(truncated, "rb") as src, open(cut, "wb") as dst:
                    dst.write(src.read()[:size])
                cases.append(([MODEL, cut], [cut, "truncated or corrupt JPEG data"]))
        # Files past their limits (sparse: nothing is written or read), refused from their size.
        for name, size, args, limit in (
                ("big.onnx", 2047 * 1024 * 1024 + 1, lambda f: [f, SAMPLE], "model"),
                ("big.png", 256 * 1024 * 1024 + 1, lambda f: [MODEL, f], "image"),
                ("big.txt", 16 * 1024 * 1024 + 1, lambda f: ["--labels", f, MODEL, SAMPLE],
                 "labels file")):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.truncate(size)
            cases.append((args(path), [path, "%d bytes, more than the %d allowed for a %s" %
                                       (size, size - 1, limit)]))
        for args, fragments in cases:
            expect_bad(exe, args, fragments)
    print("hostile: %d cases" % len(cases))


def check_info(exe):
    text = run_text(exe, ["--info", MODEL])
    if text is not None:
        for needle in ("producer  pytorch", "opset 13", "input     input float32 [-1,3,32,32] NCHW",
                       "output    logits float32 [-1,10]",
                       "metadata  Image.NominalPixelRange = Normalized_1_1", "arena",
                       "Conv+Relu"):
            if needle not in text:
                fail("--info lacks %r:\n%s" % (needle, text))
    doc = run_json(exe, ["--info", "--json", MODEL])
    if doc is not None:
        want = {"model": MODEL, "producer_name": "pytorch", "opset": 13, "batch": 1,
                "inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 3, 32, 32],
                            "layout": "NCHW"}]}
        for key, value in want.items():
            if doc.get(key) != value:
                fail("--info --json %s is %r, expected %r" % (key, doc.get(key), value))
        if doc.get("metadata", {}).get("lenet_onnx.std") != "0.5" or \
                not doc.get("arena_bytes", 0) > 0 or "Gemm" not in doc.get("plan", ""):
            fail("--info --json: %r" % doc)
    # A model that cannot be planned is still described, with the reason and its exit status.
    env = dict(os.environ, LENET_ONNX_DEVICE="no such device name")
    proc = run(exe, ["--info", "--json", MODEL], env)
    if proc is None or proc.returncode != 2 or len(proc.stderr.splitlines()) != 1:
        fail("--info without a device: %s" % describe(["--info", "--json", MODEL], proc))
    else:
        doc = json.loads(proc.stdout)
        if doc.get("producer_name") != "pytorch" or "no such device name" not in \
                doc.get("plan_error", "") or "plan" in doc:
            fail("--info without a device: %r" % doc)
    doc = run_json(exe, ["--info", "--json", "--batch", "4", MODEL])
    if doc is not None and (doc.get("batch") != 4 or "[4,3,32,32]" not in doc.get("plan", "")):
        fail("--info --batch 4: batch %r" % doc.get("batch"))
    print("info: checked")


def check_tools(exe):
    tools = {"lenet-onnx-run": exe, "lenet-onnx-bench": os.environ.get("LENET_ONNX_TEST_BENCH"),
             "lenet-onnx-check": os.environ.get("LENET_ONNX_TEST_CHECK")}
    for name, path in tools.items():
        if not path:
            fail("%s: not given to the test" % name)
            continue
        proc = run(path, ["--help"])
        if proc is None or proc.returncode != 0 or b"usage: " + name.encode() not in \
                proc.stdout or proc.stderr:
            fail("%s --help: %s" % (name, describe(["--help"], proc)))
        proc = run(path, ["--version"])
        out = proc.stdout.decode() if proc else ""
        if proc is None or proc.returncode != 0 or not out.startswith(name + " ") or \
                "library: lenet-onnx " not in out:
            fail("%s --version: %r" % (name, out))
        for bad in (["--frobnicate"], ["--json=1"], ["--device"]):
            proc = run(path, bad)
            err = proc.stderr.decode() if proc else ""
            if proc is None or proc.returncode != 2 or len(err.splitlines()) != 1 or \
                    not err.startswith(name + ": ") or proc.stdout:
                fail("%s %s: %s" % (name, " ".join(bad), describe(bad, proc)))
        proc = run(path, ["--device", "list", "--json"])
        try:
            devices = json.loads(proc.stdout)["devices"] if proc and proc.returncode == 0 else None
        except ValueError:
            devices = None
        if not devices:
            fail("%s --device list --json: %s" % (name, describe([], proc)))
        env = dict(os.environ, LENET_ONNX_DEVICE="no such device name")
        proc = run(path, ["--device", "list"], env)  # listing ignores the choice
        if proc is None or proc.returncode != 0:
            fail("%s --device list with LENET_ONNX_DEVICE set: %s" % (name, describe([], proc)))
    check = tools["lenet-onnx-check"]
    if check:
        proc = run(check, ["tests/no_such_folder"])
        err = proc.stderr.decode() if proc else ""
        if proc is None or proc.returncode != 2 or proc.stdout or \
                "tests/no_such_folder" not in err or len(err.splitlines()) != 1:
            fail("lenet-onnx-check on a missing folder: %s" % describe([], proc))
    # --device by type and by name, and LENET_ONNX_DEVICE as the default.
    listing = run_json(exe, ["--device", "list", "--json"])
    if listing:
        first = listing["devices"][0]
        for spec in (first["type"], first["name"][:6], str(first["index"])):
            doc = run_json(exe, ["--json", "--device", spec, MODEL, SAMPLE])
            if doc is not None and doc["device"] != first["name"]:
                fail("--device %s ran on %r" % (spec, doc["device"]))
        env = dict(os.environ, LENET_ONNX_DEVICE="no such device name")
        proc = run(exe, [MODEL, SAMPLE], env)
        if proc is None or proc.returncode != 2 or b"LENET_ONNX_DEVICE" not in proc.stderr:
            fail("LENET_ONNX_DEVICE is not the default --device: %s" % describe([], proc))
        env = dict(os.environ, LENET_ONNX_BACKEND="no-such-backend")
        proc = run(exe, [MODEL, SAMPLE], env)
        if proc is None or proc.returncode != 2 or b"no-such-backend" not in proc.stderr:
            fail("LENET_ONNX_BACKEND is not the default --backend: %s" % describe([], proc))
    bench = tools["lenet-onnx-bench"]
    if bench:
        proc = run(bench, ["--seconds", "x", MODEL])
        if proc is None or proc.returncode != 2 or len(proc.stderr.splitlines()) != 1:
            fail("lenet-onnx-bench usage error is not one line: %s" % describe([], proc))
        with tempfile.TemporaryDirectory() as tmp:
            trace = os.path.join(tmp, "trace.json")
            args = ["--json", "--quiet", "--iterations", "7", "--warmup", "1", "--batch", "1,2",
                    "--profile", "--trace", trace, "--input", SAMPLE, MODEL, MODEL]
            proc = run(bench, args)
            if proc is None or proc.returncode != 0:
                fail(describe(args, proc))
            else:
                doc = json.loads(proc.stdout)
                rows = doc["results"]
                keys = ("min_ms", "mean_ms", "median_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")
                if doc.get("tool") != "lenet-onnx-bench" or not doc.get("version") or \
                        len(rows) != 4 or any(r["runs"] != 7 or r["model"] != MODEL for r in rows):
                    fail("lenet-onnx-bench --json: %r" % doc)
                for r in rows:
                    mean = r["duration_s"] * 1e3 / r["runs"]
                    if any(not isinstance(r[k], (int, float)) for k in keys) or \
                            not r["min_ms"] <= r["mean_ms"] <= r["max_ms"] or \
                            not r["min_ms"] <= r["median_ms"] <= r["p90_ms"] <= r["p95_ms"] \
                            <= r["p99_ms"] <= r["max_ms"] or abs(mean - r["mean_ms"]) > 1e-3:
                        fail("lenet-onnx-bench statistics out of order: %r" % r)
                with open(trace) as f:
                    events = json.load(f)["traceEvents"]
                steps = [e for e in events if e.get("ph") == "X"]
                # Four timed rows of LeNet, three steps each at these batches on OpenCL (two
                # Conv+MaxPool, one Gemm chain), five on backends without the chain.
                if len(steps) < 4 * 3 or any(e["dur"] < 0 for e in steps):
                    fail("--trace: %d complete events" % len(steps))
    print("tools: conventions of run, bench and check")


def externalize(model_bytes, data_name):
    """The model with every raw_data initializer moved to one external file (as PyTorch's
    exporter lays it out); returns (model bytes, data bytes). tools/onnx_wire.py, no onnx."""
    sys.path.insert(0, "tools")
    import onnx_wire as w

    def payload(raw):
        _, pos = w.read_varint(raw, 0)
        length, pos = w.read_varint(raw, pos)
        return raw[pos:pos + length]

    data = bytearray()
    graph_out = []
    model_out = []
    for number, raw in w.split_fields(model_bytes):
        if number != w.MODEL_GRAPH:
            model_out.append(raw)
            continue
        for g_number, g_raw in w.split_fields(payload(raw)):
            if g_number != 5:  # GraphProto.initializer
                graph_out.append(g_raw)
                continue
            kept, blob = [], None
            for t_number, t_raw in w.split_fields(payload(g_raw)):
                if t_number == 9:  # raw_data
                    blob = payload(t_raw)
                else:
                    kept.append(t_raw)
            if blob is not None:
                data.extend(b"\0" * (-len(data) % 64))
                offset = len(data)
                data.extend(blob)
                for key, value in (("location", data_name), ("offset", str(offset)),
                                   ("length", str(len(blob)))):
                    kept.append(w.field_bytes(13, w.string_entry(key, value)))
                kept.append(w.field_varint(14, 1))  # data_location = EXTERNAL
            graph_out.append(w.field_bytes(5, b"".join(kept)))
        model_out.append(w.field_bytes(w.MODEL_GRAPH, b"".join(graph_out)))
    return b"".join(model_out), bytes(data)


def check_external(exe):
    """The bundled model saved with external data runs and gives the same output; locations
    that leave the model's folder are refused."""
    base = run_json(exe, ["--json", MODEL, SAMPLE])
    if base is None:
        return
    with open(MODEL, "rb") as f:
        model_bytes, data = externalize(f.read(), "lenet.onnx.data")
    if len(data) < 400000:
        fail("externalize moved only %d bytes" % len(data))
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "model")
        os.mkdir(folder)
        path = os.path.join(folder, "lenet.onnx")
        with open(path, "wb") as f:
            f.write(model_bytes)
        with open(os.path.join(folder, "lenet.onnx.data"), "wb") as f:
            f.write(data)
        doc = run_json(exe, ["--json", path, SAMPLE])
        if doc is not None and doc["results"][0]["output"] != base["results"][0]["output"]:
            fail("external data: output differs from the bundled model's")
        with open(MODEL, "rb") as f:
            escaping, _ = externalize(f.read(), "../outside.data")
        with open(os.path.join(tmp, "outside.data"), "wb") as f:
            f.write(data)
        with open(path, "wb") as f:
            f.write(escaping)
        expect_bad(exe, [path, SAMPLE], ["../outside.data", "outside the model's folder"])
        os.symlink(os.path.join(tmp, "outside.data"), os.path.join(folder, "link.data"))
        with open(MODEL, "rb") as f:
            linked, _ = externalize(f.read(), "link.data")
        with open(path, "wb") as f:
            f.write(linked)
        expect_bad(exe, [path, SAMPLE], ["link.data", "outside the model's folder"])
        with open(os.path.join(folder, "lenet.onnx.data"), "wb") as f:
            f.write(data[:len(data) // 2])
        with open(path, "wb") as f:
            f.write(model_bytes)
        expect_bad(exe, [path, SAMPLE], ["past the end"])
    print("external: external data runs; escapes and short files refused")


def check_compare(exe):
    images = sorted(glob.glob("samples/*.png"))[:4]
    args = ["--compare-backend", "ref", "--json", MODEL] + images
    proc = run(exe, args)
    if proc is None or proc.returncode != 0:
        fail(describe(args, proc))
        return
    try:
        doc = json.loads(proc.stdout.decode("utf-8"))
    except ValueError as e:
        fail("--compare-backend --json is not JSON: %s" % e)
        return
    for key in ("model", "backend", "device", "reference_backend", "reference_device", "atol",
                "rtol", "first_past_tolerance", "steps"):
        if key not in doc:
            fail("--compare-backend --json lacks %r" % key)
            return
    wanted = os.environ.get("LENET_ONNX_BACKEND")
    if wanted and doc["backend"] != wanted:
        fail("compared %r, not LENET_ONNX_BACKEND=%r" % (doc["backend"], wanted))
    if doc["reference_backend"] != "ref" or doc["first_past_tolerance"] is not None:
        fail("reference %r, first past tolerance %r" % (doc["reference_backend"],
                                                        doc["first_past_tolerance"]))
    steps = doc["steps"]
    if not steps or steps[0]["shape"][0] != len(images) or steps[-1]["shape"] != [len(images), 10]:
        fail("steps: %r" % steps)
    compared = [st for st in steps if st["compared"]]
    if not compared or not steps[-1]["compared"]:
        fail("the output step was not compared: %r" % steps)
    for st in compared:
        if not (0 <= st["max_abs_err"] <= 1e-4) or st["past_tolerance"] != 0:
            fail("step %r" % st)
    args = ["--compare-backend", "ref", "--tolerance", "0,0", MODEL] + images
    proc = run(exe, args)
    if doc["backend"] == "ref":
        # The reference against itself: the same code on the same inputs, exactly equal.
        if any(not st["compared"] or st["max_abs_err"] != 0 for st in steps):
            fail("ref against ref is not exact: %r" % steps)
        if proc is None or proc.returncode != 0:
            fail(describe(args, proc) + " (ref against ref must pass with no tolerance)")
    # Any other backend is not exact: with no tolerance some step differs, and it is named.
    elif proc is None or proc.returncode != 1 or b"past tolerance" not in proc.stderr:
        fail(describe(args, proc) + " (expected exit 1 naming the first step past tolerance)")
    elif b"<- first past tolerance" not in proc.stdout:
        fail("the table does not mark the first step past tolerance")
    expect_bad(exe, ["--compare-backend", "ref", "--tolerance", "-1", MODEL, SAMPLE],
               ["--tolerance"])


def check_plan_svg(exe):
    import xml.etree.ElementTree as ET
    with tempfile.TemporaryDirectory() as tmp:
        svg = os.path.join(tmp, "plan.svg")
        images = sorted(glob.glob("samples/*.png"))
        args = ["--plan-svg", svg, "--verbose", MODEL] + images
        proc = run(exe, args)
        if proc is None or proc.returncode != 0 or not os.path.exists(svg):
            fail(describe(args, proc))
            return
        match = re.search(rb"arena: (\d+) bytes", proc.stderr)
        arena = int(match.group(1)) if match else None
        root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    boxes = []
    for g in root.iter(ns + "g"):
        title, rect = g.find(ns + "title"), g.find(ns + "rect")
        m = re.search(r": offset (\d+), (\d+) bytes, steps (\d+)-(\d+)", title.text or "")
        if rect is None or not m:
            fail("a buffer without its rectangle or title: %r" % (title.text,))
            continue
        boxes.append(tuple(int(v) for v in m.groups()) + (title.text.split(":")[0],))
    if len(boxes) < 4:
        fail("%d buffers drawn" % len(boxes))
    for off, size, first, last, name in boxes:
        if arena is not None and off + size > arena:
            fail("%s ends at %d, past the %d-byte arena" % (name, off + size, arena))
        for off2, size2, first2, last2, name2 in boxes:
            alive = first <= last2 and first2 <= last
            apart = off + size <= off2 or off2 + size2 <= off
            if name != name2 and alive and not apart:
                fail("%s and %s overlap while both alive" % (name, name2))
    if arena is not None and ("arena %d bytes" % arena) not in ET.tostring(root).decode():
        fail("the title does not state the %d-byte arena" % arena)


CHECKS = {"plugin": check_plugin, "batch": check_batch, "single": check_single, "formats": check_formats,
          "bad_input": check_bad_input, "device_list": check_device_list,
          "options": check_options, "exports": check_exports, "many": check_many,
          "defaults": check_defaults, "dataset": check_dataset,
          "formats_more": check_formats_more, "hostile": check_hostile, "info": check_info,
          "tools": check_tools, "external": check_external, "compare": check_compare,
          "plan_svg": check_plan_svg}


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
