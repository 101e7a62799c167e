// Explanation kernels in the browser: Grad-CAM and Integrated Gradients with TF.js (drawing is draw.js).
//
// The same definitions as the Python side (gen/explain/): the score explained is the target class
// *probability*; Grad-CAM weights each channel of the map the metadata names `feature_layer` by its mean gradient and keeps
// the positive part of the weighted sum; Integrated Gradients integrates input gradients along the
// straight path from a black image with Gauss-Legendre nodes and reports the completeness delta.
// Every tensor is made inside tf.tidy (or disposed by hand where a value must outlive a tidy), so the
// tensor count stays flat however many photos a visitor tries.

/* global tf */

import { pixelsTensor } from './predict.js';

// Gradient kernels the wasm backend of TF.js 4.22 lacks or gets wrong, which Integrated Gradients needs:
// the input and filter gradients of depthwise convolutions (missing), MaxPoolGrad (present, but for
// 3 x 3 stride-2 'same' pooling it sends gradients to the wrong cells: max error ~1 against the cpu
// kernel), and the filter gradient that the fused convolution's gradient always computes (missing).
const FROM_CPU = ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'MaxPoolGrad'];

/**
 * Complete the wasm backend's gradient kernels. Conv2DBackpropFilter, the costly one, runs on wasm as
 * image patches (a convolution with an identity filter) times dy; the others call TF.js's own cpu
 * kernels on copies of their inputs. Both are exact; tests/test_browser_page.py compares them with cpu.
 */
export function addWasmGradientKernels() {
  for (const kernelName of FROM_CPU) {
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const cpu = tf.findBackend('cpu');
        const copies = Object.fromEntries(Object.entries(inputs).map(([key, info]) =>
          [key, { ...info, dataId: cpu.write(backend.readSync(info.dataId).slice(), info.shape, info.dtype) }]));
        const out = cpuKernel.kernelFunc({ inputs: copies, attrs, backend: cpu });
        const values = cpu.readSync(out.dataId).slice();
        for (const info of [...Object.values(copies), out]) cpu.disposeData(info.dataId);
        return backend.makeOutput(out.shape, out.dtype, undefined, values);
      },
    });
  }
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dFilterGradient });
  }
}

/** dL/dfilter[i, j, c, o] = sum over batch and output positions of patch(x)[i, j, c] * dy[o]. */
function conv2dFilterGradient({ inputs, attrs, backend }) {
  const { x, dy } = inputs;
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  const [kh, kw, channels, outputs] = filterShape;
  const size = kh * kw * channels;
  const run = (name, kernelInputs, kernelAttrs) =>
    tf.getKernel(name, 'wasm').kernelFunc({ inputs: kernelInputs, attrs: kernelAttrs, backend });
  const eye = new Float32Array(size * size);
  for (let i = 0; i < size; i++) eye[i * size + i] = 1; // output channel (i, j, c) copies x[.., i, j, c]
  const identity = backend.makeOutput([kh, kw, channels, size], 'float32', undefined, eye);
  const patches = run('Conv2D', { x, filter: identity },
    { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode });
  const rows = patches.shape[0] * patches.shape[1] * patches.shape[2];
  const a = run('Reshape', { x: patches }, { shape: [1, rows, size] });
  const b = run('Reshape', { x: dy }, { shape: [1, rows, outputs] });
  const product = run('BatchMatMul', { a, b }, { transposeA: true, transposeB: false });
  const gradient = run('Reshape', { x: product }, { shape: filterShape });
  for (const info of [identity, patches, a, b, product]) backend.disposeData(info.dataId);
  return gradient;
}

/** The target class's probability summed over a batch; a one-hot product, because gather's gradient
 * (UnsortedSegmentSum) has no wasm kernel. */
function classScore(probabilities, target) {
  return probabilities.mul(tf.oneHot([target], probabilities.shape[1])).sum();
}

function applyHead(entry, features) {
  return entry.head.reduce((x, layer) => layer.apply(x, { training: false }), features);
}

/**
 * Grad-CAM of class `target`: ReLU(sum_k mean_ij(dp/dA_k) A_k) on the feature map, raw (not
 * normalised), as {map: Float32Array(h*w), h, w, probability}.
 */
export function gradCam(entry, rgb, size, target) {
  const [cam, probability] = tf.tidy(() => {
    const maps = entry.features.predict(pixelsTensor(rgb, size));
    const score = (a) => classScore(applyHead(entry, a), target);
    const { value, grad } = tf.valueAndGrad(score)(maps);
    const weights = grad.mean([1, 2]);
    return [tf.relu(maps.mul(weights.expandDims(1).expandDims(1)).sum(-1)).squeeze([0]), value];
  });
  const [h, w] = cam.shape;
  const result = { map: cam.dataSync(), h, w, probability: probability.dataSync()[0] };
  tf.dispose([cam, probability]);
  return result;
}

/** Gauss-Legendre nodes on [0, 1] and weights summing to 1 (Newton's method on P_n). */
export function gaussLegendre(n) {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p0 = 1, p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      derivative = n * (x * p1 - p0) / (x * x - 1);
      const step = p1 / derivative;
      x -= step;
      if (Math.abs(step) < 1e-15) break;
    }
    nodes[n - 1 - i] = (x + 1) / 2;
    weights[n - 1 - i] = 1 / ((1 - x * x) * derivative * derivative); // 2/(...) on [-1,1], halved
  }
  return { nodes, weights };
}

/**
 * Integrated Gradients from a black image: per-pixel signed RGB sum of the attributions, and the
 * completeness delta sum(attributions) - (F(x) - F(black)). Runs `batch` path points per step and
 * yields to the page between steps (onProgress(done, total)), so the page stays responsive.
 */
export async function integratedGradients(entry, rgb, size, target, steps, onProgress, batch = 8) {
  const { nodes, weights } = gaussLegendre(steps);
  const x = pixelsTensor(rgb, size);
  const score = (images) => classScore(entry.model.apply(images, { training: false }), target);
  const gradient = tf.grad(score);
  let total = tf.zerosLike(x);
  for (let start = 0; start < steps; start += batch) {
    const end = Math.min(steps, start + batch);
    const next = tf.tidy(() => {
      const alphas = tf.tensor1d(Array.from(nodes.slice(start, end)), 'float32').reshape([-1, 1, 1, 1]);
      const w = tf.tensor1d(Array.from(weights.slice(start, end)), 'float32').reshape([-1, 1, 1, 1]);
      const path = alphas.mul(x); // the black baseline is 0, so baseline + a (x - baseline) = a x
      return total.add(gradient(path).mul(w).sum(0, true));
    });
    total.dispose();
    total = next;
    onProgress?.(end, steps);
    await tf.nextFrame();
  }
  const [map, delta] = tf.tidy(() => {
    const attributions = x.mul(total);
    const probabilities = entry.model.predict(tf.concat([x, tf.zerosLike(x)]));
    const gain = probabilities.gather([target], 1).reshape([2]);
    const difference = gain.slice([0], [1]).sub(gain.slice([1], [1]));
    return [attributions.sum(-1).squeeze([0]), attributions.sum().sub(difference.sum())];
  });
  const result = { map: map.dataSync(), h: size, w: size, delta: delta.dataSync()[0] };
  tf.dispose([map, delta, x, total]);
  return result;
}
