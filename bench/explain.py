"""Per-image time of each explanation method on this machine (2 cores), against a plain implementation
that explains one image at a time with one eager TensorFlow call per gradient or forward pass; then the
wall time of all curated-sample explanations (cold cache) and of the class-aggregate Grad-CAM maps.

    .venv/bin/python bench/explain.py [--images 10] [--plain-images 3] [--data-dir DIR]

The plain versions are here only to be timed and checked against: they compute the same maps (the
largest difference is printed) with the loops our batched versions avoid.
"""
from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from gen.config import DEFAULT_UTKFACE_DIR, MODELS_DIR, RACES, utkface_dir_from_env
from gen.explain.guided_backprop import guided_model
from gen.explain.integrated_gradients import make_baseline, quadrature
from gen.explain.occlusion import window_masks
from gen.explain.registry import METHODS
from gen.models.architecture import FEATURE_LAYER
from gen.models.keras import keras, load_trained, tf
from gen.models.predict import predict
from gen.models.registry import trained_models
from gen.site.heatmaps import load_samples, precompute

BUDGET_SECONDS = 60


def plain_gradient(model, image, target):
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = model(x, training=False)[0, target]
    return tape.gradient(score, x).numpy()[0]


@functools.cache
def feature_model(model):
    return keras.Model(model.inputs, [model.get_layer(FEATURE_LAYER).output, model.output])


def plain_cam(model, image, target):
    both = feature_model(model)
    with tf.GradientTape() as tape:
        features, probabilities = both(tf.constant(image[None]), training=False)
        score = probabilities[0, target]
    gradients = tape.gradient(score, features).numpy()[0]
    cam = np.maximum((features.numpy()[0] * gradients.mean(axis=(0, 1))).sum(-1), 0)
    return tf.image.resize(cam[None, ..., None], image.shape[:2]).numpy()[0, ..., 0]


def plain_ig(model, image, target, baseline, steps, rule, blur_sigma):
    start = make_baseline(baseline, image[None], blur_sigma=blur_sigma)[0]
    nodes, weights = quadrature(rule, steps)
    total = sum(w * plain_gradient(model, start + a * (image - start), target) for a, w in zip(nodes, weights))
    return ((image - start) * total).sum(-1)


def plain_smoothgrad(model, image, target, samples, noise):
    rng = np.random.default_rng(0)
    sigma = noise * (image.max() - image.min())
    grads = [plain_gradient(model, image + rng.normal(0, sigma, image.shape).astype(np.float32), target)
             for _ in range(samples)]
    return np.abs(np.mean(grads, axis=0)).sum(-1)


def plain_occlusion(model, image, target, window, stride, fill):
    masks = window_masks(*image.shape[:2], window, stride)
    original = model(image[None], training=False).numpy()[0, target]
    drops = [original - model(np.where(m[..., None], fill, image)[None], training=False).numpy()[0, target]
             for m in masks]
    return np.einsum("w,whv->hv", np.array(drops), masks) / masks.sum(0)


PLAIN = {
    "gradcam": plain_cam,
    "guided_backprop": lambda model, image, target: np.abs(plain_gradient(guided_model(model), image, target)).sum(-1),
    "integrated_gradients": plain_ig,
    "smoothgrad": plain_smoothgrad,
    "occlusion": plain_occlusion,
}


def load_model() -> tuple[keras.Model, str]:
    names = trained_models()
    if names:
        name = "race_fair" if "race_fair" in names else names[0]
        return load_trained(name, MODELS_DIR), name
    from gen.models.architecture import build_classifier
    return build_classifier(len(RACES), 64), "untrained classifier (no trained model found)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10)
    parser.add_argument("--plain-images", type=int, default=3)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    model, name = load_model()
    samples = load_samples()
    images = np.stack([s.pixels for s in samples] * (1 + args.images // len(samples)))[:args.images]
    targets = predict(model, images).argmax(1)
    print(f"model: {name}; {args.images} images, plain: {args.plain_images}; TF threads: "
          f"{tf.config.threading.get_intra_op_parallelism_threads() or 'default'} on "
          f"{len(__import__('os').sched_getaffinity(0))} cores")
    print(f"{'method':22} {'batched ms/img':>14} {'plain ms/img':>13} {'speed-up':>9} {'max |diff|':>11}")
    for method, record in METHODS.items():
        parameters = dict(record.site_parameters)
        record(model, images[:2], targets[:2])  # trace once, as a build would
        started = time.perf_counter()
        result = record(model, images, targets)
        batched = (time.perf_counter() - started) / len(images) * 1000
        line = f"{method:22} {batched:14.1f}"
        if method in PLAIN:
            started = time.perf_counter()
            plain = [PLAIN[method](model, images[i], int(targets[i]), **parameters) for i in range(args.plain_images)]
            slow = (time.perf_counter() - started) / args.plain_images * 1000
            diff = np.abs(np.stack(plain) - result.maps[:args.plain_images]).max() / np.abs(result.maps).max()
            line += f" {slow:13.1f} {slow / batched:8.1f}x {diff:11.1e}" if method != "smoothgrad" else \
                f" {slow:13.1f} {slow / batched:8.1f}x {'(noise)':>11}"
        print(line, flush=True)
    names = trained_models()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        precompute(Path(scratch) / "docs", cache_dir=Path(scratch) / "cache")
        curated = time.perf_counter() - started
        started = time.perf_counter()
        precompute(Path(scratch) / "docs", cache_dir=Path(scratch) / "cache")
        cached = time.perf_counter() - started
    print(f"curated samples x {len(names)} models, all methods, cold cache: {curated:.1f} s; "
          f"unchanged rerun: {cached:.1f} s")
    folder = Path(args.data_dir) if args.data_dir else (utkface_dir_from_env() or DEFAULT_UTKFACE_DIR)
    aggregate = 0.0
    if folder.is_dir() and names:
        from gen.analysis.explanations import aggregates
        from gen.data.prepared import prepare_data
        data = prepare_data(folder, manifest=None)
        test = data.split["test"]
        started = time.perf_counter()
        for model_name in names:
            trained = load_trained(model_name, MODELS_DIR)
            aggregates(trained, data.dataset.pixels[test], data.dataset.labels("race")[test],
                       data.dataset.labels("age")[test])
        aggregate = time.perf_counter() - started
        print(f"class-aggregate Grad-CAM over {len(test)} test faces x {len(names)} models: {aggregate:.1f} s")
    else:
        print("class aggregates: skipped (no dataset or no trained models)")
    total = curated + aggregate
    print(f"total {total:.1f} s (goal <= {BUDGET_SECONDS} s): {'met' if total <= BUDGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
