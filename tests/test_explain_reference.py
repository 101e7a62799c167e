"""Each method against an independent, published implementation on the same model, layer and target.

References (pinned in requirements.txt): tf-keras-vis 0.8.7 (Grad-CAM, Grad-CAM++, SmoothGrad) and
PAIR's saliency 0.2.1 (Grad-CAM, Integrated Gradients, SmoothGrad, occlusion; its TF1 module for guided
backprop, run in a graph-mode copy of the model). Tolerances, and why:
- deterministic methods (Grad-CAM, Grad-CAM++, guided backprop, occlusion): same maths, float32 order
  of operations only -> max difference <= 1e-4 of the map's largest value;
- Integrated Gradients: the reference uses an equal-weight sum over 512 points, ours 256 Gauss-Legendre
  nodes -> both approximate one integral; relative L2 difference <= 2%;
- SmoothGrad: both average random noise (different draws) -> Pearson correlation of the maps >= 0.9.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import saliency.core as pair
import tensorflow as tf
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.saliency import Saliency
from tf_keras_vis.utils.scores import CategoricalScore

from gen.config import ROOT
from gen.explain.gradcam import grad_cam
from gen.explain.gradcam_plusplus import grad_cam_plusplus
from gen.explain.guided_backprop import guided_backprop
from gen.explain.integrated_gradients import integrated_gradients
from gen.explain.occlusion import occlusion
from gen.explain.smoothgrad import smoothgrad
from gen.models.architecture import FEATURE_LAYER
from gen.models.keras import keras
from tests.explain_helpers import SIZE, planted_faces, trained_classifier

SMOOTH_SAMPLES = 64


@pytest.fixture(scope="module")
def tiny() -> keras.Model:
    return trained_classifier()


@pytest.fixture(scope="module")
def faces() -> tuple[np.ndarray, np.ndarray]:
    """Images with targets that include a class the model does not predict (the harder case)."""
    images, labels = planted_faces(4, seed=11)
    return images, (labels + np.array([0, 1, 0, 2])) % 3


def close_to_reference(ours: np.ndarray, reference: np.ndarray, fraction: float = 1e-4) -> None:
    scale = np.abs(reference).max()
    assert scale > 0, "the reference map is empty: the comparison would prove nothing"
    np.testing.assert_allclose(ours, reference, rtol=0, atol=fraction * scale)


def pair_call(model: keras.Model, target: int):
    """PAIR's call_model_function protocol for one target class, on our model."""
    layer = model.get_layer(FEATURE_LAYER)
    both = keras.Model(model.inputs, [layer.output, model.output])

    def call(x_value_batch, call_model_args=None, expected_keys=None):
        x = tf.constant(x_value_batch, tf.float32)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            features, probabilities = both(x, training=False)
            score = probabilities[:, target]
        return {pair.INPUT_OUTPUT_GRADIENTS: tape.gradient(score, x).numpy(),
                pair.CONVOLUTION_LAYER_VALUES: features.numpy(),
                pair.CONVOLUTION_OUTPUT_GRADIENTS: tape.gradient(score, features).numpy(),
                pair.OUTPUT_LAYER_VALUES: probabilities[:, target].numpy()}

    return call


@pytest.mark.parametrize("method, reference", [(grad_cam, Gradcam), (grad_cam_plusplus, GradcamPlusPlus)])
def test_cam_methods_match_tf_keras_vis(tiny, faces, method, reference) -> None:
    images, targets = faces
    cams = reference(tiny)(CategoricalScore(list(targets)), images, penultimate_layer=FEATURE_LAYER,
                           seek_penultimate_conv_layer=False, expand_cam=False, normalize_cam=False)
    close_to_reference(method(tiny, images, targets).coarse, np.asarray(cams))


def test_grad_cam_matches_pair_saliency(tiny, faces) -> None:
    images, targets = faces
    reference = [pair.GradCam().GetMask(image, pair_call(tiny, int(target)), should_resize=False, three_dims=False)
                 for image, target in zip(images, targets)]
    close_to_reference(grad_cam(tiny, images, targets).coarse, np.stack(reference))


def test_integrated_gradients_matches_pair_saliency(tiny, faces) -> None:
    images, targets = faces
    ours = integrated_gradients(tiny, images[:2], targets[:2], steps=256).attributions
    for image, target, mine in zip(images, targets, ours):
        reference = pair.IntegratedGradients().GetMask(image, pair_call(tiny, int(target)),
                                                       x_baseline=np.zeros_like(image), x_steps=512, batch_size=256)
        assert np.linalg.norm(mine - reference) <= 0.02 * np.linalg.norm(reference)


@pytest.mark.slow  # one occluded copy per pixel position
def test_occlusion_matches_pair_saliency(tiny, faces) -> None:
    """PAIR slides a window with stride 1 and sums; ours averages, so multiply by the coverage."""
    images, targets = faces
    from gen.explain.occlusion import window_masks
    coverage = window_masks(SIZE, SIZE, 8, 1).sum(axis=0)
    ours = occlusion(tiny, images[:1], targets[:1], window=8, stride=1, fill=0.0).maps[0] * coverage
    reference = pair.Occlusion().GetMask(images[0], pair_call(tiny, int(targets[0])), size=8, value=0)
    close_to_reference(ours, reference[..., 0])


GUIDED_TF1 = """
import sys
import numpy as np
import tensorflow as tf
import saliency.tf1 as pair_tf1
from gen.models.architecture import build_classifier
data = np.load(sys.argv[1])
graph = tf.Graph()
with graph.as_default():
    session = tf.compat.v1.Session(graph=graph)
    tf.compat.v1.keras.backend.set_session(session)
    model = build_classifier(3, data["images"].shape[1], name="tiny")
    model.set_weights([data[f"w{i}"] for i in range(int(data["n_weights"]))])
    masks = [pair_tf1.GuidedBackprop(graph, session, model.output[0, int(t)], model.inputs[0],
                                     tmp_ckpt_path=sys.argv[2] + str(i)).GetMask(x, feed_dict={})
             for i, (x, t) in enumerate(zip(data["images"], data["targets"]))]
np.save(sys.argv[2] + "masks.npy", np.stack(masks))
"""


@pytest.mark.slow  # a TensorFlow 1 graph in a subprocess
def test_guided_backprop_matches_pair_saliency_tf1(tiny, faces, tmp_path) -> None:
    """PAIR's guided backprop overrides the Relu op's gradient in a TF1 graph. A graph-mode model
    invalidates eager ones in the same process, so the reference runs in a child Python process on
    the same network with the trained weights."""
    images, targets = faces
    weights = {f"w{i}": w for i, w in enumerate(tiny.get_weights())}
    np.savez(tmp_path / "inputs.npz", images=images, targets=targets, n_weights=len(weights), **weights)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_USE_LEGACY_KERAS": "1", "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", GUIDED_TF1, str(tmp_path / "inputs.npz"), str(tmp_path / "gbp")],
                   check=True, env=env, capture_output=True)
    reference = np.load(tmp_path / "gbpmasks.npy")
    close_to_reference(guided_backprop(tiny, images, targets).attributions, reference)


@pytest.mark.parametrize("library", ["pair", "tf-keras-vis"])
def test_smoothgrad_agrees_with_references(tiny, faces, library) -> None:
    images, targets = faces[0][:2], faces[1][:2]
    ours = smoothgrad(tiny, images, targets, samples=SMOOTH_SAMPLES, noise=0.15, seed=0).attributions
    np.random.seed(0)
    for index, (image, target) in enumerate(zip(images, targets)):
        if library == "pair":
            reference = pair.GradientSaliency().GetSmoothedMask(
                image, pair_call(tiny, int(target)), stdev_spread=0.15, nsamples=SMOOTH_SAMPLES, magnitude=False)
            mine = ours[index]
        else:  # tf-keras-vis returns max |mean gradient| over channels, normalised: compare that view
            tf.random.set_seed(index)
            reference = Saliency(tiny)(CategoricalScore([int(target)]), image[None], smooth_samples=SMOOTH_SAMPLES,
                                       smooth_noise=0.15, normalize_map=False)[0]
            mine = np.abs(ours[index]).max(axis=-1)
        assert np.corrcoef(mine.ravel(), reference.ravel())[0, 1] >= 0.9
