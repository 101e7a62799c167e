"""Known answers and invariants of the explanation methods (no dataset, no published model needed)."""
from __future__ import annotations

import numpy as np
import pytest

from gen.explain.base import input_gradients
from gen.explain.gradcam import grad_cam
from gen.explain.integrated_gradients import integrated_gradients, make_baseline, quadrature
from gen.explain.occlusion import occlusion
from gen.explain.registry import METHODS
from gen.explain.smoothgrad import smoothgrad
from gen.models.keras import keras
from tests.explain_helpers import CORNERS, SIZE, planted_cam_model, planted_faces, red_square, trained_classifier


@pytest.fixture(scope="module")
def tiny() -> keras.Model:
    return trained_classifier()


def linear_model(seed: int = 0) -> tuple[keras.Model, np.ndarray]:
    """F(x) = w . x + b: its IG is exactly (x - x') * w whatever the rule or the number of steps."""
    w = np.random.default_rng(seed).normal(size=(SIZE * SIZE * 3, 1)).astype(np.float32)
    inputs = keras.Input((SIZE, SIZE, 3))
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    model.layers[-1].set_weights([w, np.array([0.3], np.float32)])
    return model, w.reshape(SIZE, SIZE, 3)


def softmax_regression(seed: int = 0) -> tuple[keras.Model, np.ndarray, np.ndarray]:
    """p = softmax(W x + b): the logit of class k is W_k . x + b_k, so its input gradient is exactly W_k."""
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=(SIZE * SIZE * 3, 3)).astype(np.float32) * 1e-3, rng.normal(size=3).astype(np.float32)
    inputs = keras.Input((SIZE, SIZE, 3))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs)))
    model.layers[-1].set_weights([w, b])
    return model, w, b


def test_logit_score_gradient_is_the_weight_row_and_probability_score_is_scaled() -> None:
    model, w, b = softmax_regression()
    images = np.random.default_rng(2).uniform(0, 255, (2, SIZE, SIZE, 3)).astype(np.float32)
    targets = np.array([0, 2], np.int32)
    logit_gradients, probabilities = input_gradients(model, images, targets, "logit")
    for row, k in enumerate(targets):
        np.testing.assert_allclose(logit_gradients[row], w[:, k].reshape(SIZE, SIZE, 3), rtol=1e-5, atol=1e-8)
    # d p_k / dx = p_k (W_k - sum_j p_j W_j): the softmax gradient, which shrinks as p_k nears 1
    probability_gradients, _ = input_gradients(model, images, targets, "probability")
    for row, k in enumerate(targets):
        p = probabilities[row]
        expected = p[k] * (w[:, k] - w @ p)
        np.testing.assert_allclose(probability_gradients[row], expected.reshape(SIZE, SIZE, 3), rtol=1e-4, atol=1e-9)


def test_targets_none_means_the_top_class_and_callables_choose(tiny: keras.Model) -> None:
    images, _ = planted_faces(4, seed=9)
    top = tiny.predict(images, verbose=0).argmax(axis=1)
    assert (grad_cam(tiny, images).targets == top).all()
    second = grad_cam(tiny, images, lambda probabilities: probabilities.argsort(axis=1)[:, -2])
    np.testing.assert_array_equal(second.maps, grad_cam(tiny, images, second.targets).maps)
    assert (second.targets != top).all()


def test_the_feature_layer_is_chosen_by_name(tiny: keras.Model) -> None:
    images, labels = planted_faces(2, seed=10)
    cells = SIZE // 8  # "features", the last map, is an eighth of the input; block 1's a quarter
    assert grad_cam(tiny, images, labels).coarse.shape[1:] == (cells, cells)
    assert grad_cam(tiny, images, labels, layer="block1_out").coarse.shape[1:] == (2 * cells, 2 * cells)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        grad_cam(tiny, images, labels, layer="nope")


@pytest.mark.parametrize("rule", ["trapezoid", "gauss-legendre"])
@pytest.mark.parametrize("baseline", ["black", "blurred", "mean"])
def test_ig_on_a_linear_model_is_input_difference_times_weights(rule: str, baseline: str) -> None:
    model, w = linear_model()
    images = np.random.default_rng(1).uniform(0, 255, (3, SIZE, SIZE, 3)).astype(np.float32)
    mean = images.mean(axis=0)
    result = integrated_gradients(model, images, np.zeros(3, int), baseline=baseline, steps=4, rule=rule,
                                  mean_image=mean)
    expected = (images - make_baseline(baseline, images, mean)) * w
    np.testing.assert_allclose(result.attributions, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(result.maps, expected.sum(axis=-1), rtol=1e-4, atol=1e-3)
    assert np.all(np.abs(result.delta) < 1e-3 * np.abs(expected.sum(axis=(1, 2, 3))) + 1e-2)


def test_ig_completeness_delta_is_small_on_a_trained_cnn(tiny: keras.Model) -> None:
    images, labels = planted_faces(6, seed=3)
    result = integrated_gradients(tiny, images, labels, steps=32)
    gain = result.attributions.sum(axis=(1, 2, 3)) - result.delta
    assert np.median(np.abs(result.delta) / np.abs(gain)) < 0.01


@pytest.mark.parametrize("rule", ["trapezoid", "gauss-legendre"])
def test_ig_converges_with_more_steps(tiny: keras.Model, rule: str) -> None:
    images, labels = planted_faces(4, seed=4)
    few, many = (np.abs(integrated_gradients(tiny, images, labels, steps=s, rule=rule).delta).mean() for s in (4, 64))
    assert many < few / 5


def test_quadrature_weights_integrate_polynomials() -> None:
    nodes, weights = quadrature("gauss-legendre", 5)
    assert np.isclose(weights @ nodes**7, 1 / 8, atol=1e-6)  # exact up to degree 2 * 5 - 1
    nodes, weights = quadrature("trapezoid", 3)
    np.testing.assert_allclose(nodes, [0, 0.5, 1])
    np.testing.assert_allclose(weights, [0.25, 0.5, 0.25])


def test_grad_cam_highlights_the_planted_region() -> None:
    rows, cols = slice(8, 16), slice(20, 28)
    result = grad_cam(planted_cam_model(), red_square(rows, cols), np.array([1]))
    inside = result.maps[0, rows, cols].sum()
    assert result.coarse.shape == (1, 8, 8) and result.maps.shape == (1, SIZE, SIZE)
    assert inside / result.maps[0].sum() > 0.6  # bilinear upsampling spreads a little past the edge
    peak = np.unravel_index(result.maps[0].argmax(), result.maps[0].shape)
    assert rows.start <= peak[0] < rows.stop and cols.start <= peak[1] < cols.stop


def test_grad_cam_for_the_other_class_is_empty() -> None:
    """Red is evidence against class 0, and Grad-CAM keeps only positive evidence."""
    result = grad_cam(planted_cam_model(), red_square(slice(8, 16), slice(20, 28)), np.array([0]))
    assert result.maps.max() == 0.0


def test_occlusion_finds_the_planted_region() -> None:
    rows, cols = slice(16, 24), slice(0, 8)
    result = occlusion(planted_cam_model(), red_square(rows, cols), np.array([1]), window=8, stride=4)
    peak = np.unravel_index(result.maps[0].argmax(), result.maps[0].shape)
    assert rows.start <= peak[0] < rows.stop and cols.start <= peak[1] < cols.stop
    assert result.maps[0, :8, 16:].max() == pytest.approx(0.0, abs=1e-7)  # far from the square: no drop


def test_smoothgrad_is_reproducible_and_noise_dependent(tiny: keras.Model) -> None:
    images, labels = planted_faces(2, seed=5)
    first = smoothgrad(tiny, images, labels, samples=8, seed=1).maps
    np.testing.assert_array_equal(first, smoothgrad(tiny, images, labels, samples=8, seed=1).maps)
    assert not np.allclose(first, smoothgrad(tiny, images, labels, samples=8, seed=2).maps)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_has_one_call_shape(tiny: keras.Model, name: str) -> None:
    images, labels = planted_faces(3, seed=6)
    result = METHODS[name](tiny, images, labels)
    assert result.maps.shape == (3, SIZE, SIZE) and result.maps.dtype == np.float32
    assert (result.targets == labels).all()
    assert np.isfinite(result.maps).all() and np.abs(result.maps).max() > 0
    assert result.probabilities.shape == (3, len(CORNERS))


def test_bad_inputs_are_refused(tiny: keras.Model) -> None:
    images, labels = planted_faces(2)
    with pytest.raises(ValueError, match="targets"):
        grad_cam(tiny, images, labels[:1])
    with pytest.raises(ValueError, match="class indices"):
        grad_cam(tiny, images, np.array([0, 7]))
    with pytest.raises(ValueError, match="images must be"):
        grad_cam(tiny, images[:, :16], labels)
    with pytest.raises(ValueError, match="mean_image"):
        integrated_gradients(tiny, images, labels, baseline="mean")


def test_occlusion_shares_work_between_classes_of_one_image(tiny: keras.Model) -> None:
    images, _ = planted_faces(2, seed=7)
    together = occlusion(tiny, images[[0, 0, 1]], np.array([0, 1, 2]), window=8, stride=8).maps
    for row, (index, target) in enumerate([(0, 0), (0, 1), (1, 2)]):
        alone = occlusion(tiny, images[[index]], np.array([target]), window=8, stride=8).maps[0]
        np.testing.assert_allclose(together[row], alone, atol=1e-6)
