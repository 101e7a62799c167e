// Predicting: the models built from their downloaded files, class probabilities, the calibrated age
// range and the "unlike the training faces" score. Every tensor is made inside tf.tidy (or disposed by
// hand), so the tensor count stays flat however many photos a visitor tries.

/* global tf */

/**
 * Build one model from its files ({modelTopology, weightSpecs, weightData}). Its Grad-CAM pieces are
 * found by name: the layer the model's metadata calls `feature_layer` (the name Python uses too), and
 * the layers after it, which must form a simple chain so the head can be re-applied to a feature map.
 * `embeddingLayer`, when given, adds a sub-model that outputs that layer (for the "unusual" score).
 */
export async function loadModel(info, artifacts, embeddingLayer = null) {
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const names = model.layers.map((layer) => layer.name);
  const at = names.indexOf(info.feature_layer);
  if (at < 0) throw new Error(`${info.name}: no layer named ${info.feature_layer} (models/${info.name}/metadata.json feature_layer)`);
  const head = model.layers.slice(at + 1);
  head.forEach((layer, i) => {
    const previous = i ? head[i - 1] : model.layers[at];
    const inputs = layer.inboundNodes[0].inboundLayers;
    if (inputs.length !== 1 || inputs[0] !== previous) {
      throw new Error(`${info.name}: the layers after ${info.feature_layer} are not a simple chain`);
    }
  });
  const features = tf.model({ inputs: model.inputs, outputs: model.layers[at].output });
  const embedder = embeddingLayer ? tf.model({ inputs: model.inputs, outputs: model.getLayer(embeddingLayer).output }) : null;
  return { info, model, features, head, embedder };
}

/** A [1, size, size, 3] float tensor of raw 0-255 pixels, as the models take them. */
export function pixelsTensor(rgb, size) {
  return tf.tensor4d(Float32Array.from(rgb), [1, size, size, 3]);
}

/** Class probabilities of every model for one RGB input: {name: Float32Array}. */
export function predictAll(entries, rgb, size) {
  const outputs = tf.tidy(() => {
    const x = pixelsTensor(rgb, size);
    return entries.map((entry) => entry.model.predict(x));
  });
  const result = {};
  entries.forEach((entry, i) => { result[entry.info.name] = outputs[i].dataSync(); });
  tf.dispose(outputs);
  return result;
}

export function ranked(probabilities, labels, k = labels.length) {
  return Array.from(probabilities, (p, i) => ({ label: labels[i], index: i, p }))
    .sort((a, b) => b.p - a.p).slice(0, k);
}

/**
 * The runner-up {label, index, p} when it is within `margin` of the top answer (a close call: a slightly
 * different crop can swap the two), else null.
 */
export function closeCall(probabilities, labels, margin) {
  const [top, second] = ranked(probabilities, labels, 2);
  return second && top.p - second.p < margin ? second : null;
}

/**
 * The calibrated age range (gen/age/calibration.py RULE): temperature-scale the softmax, then every bin
 * from the lowest to the highest whose scaled probability reaches the conformal threshold.
 */
export function ageRange(probabilities, calibration) {
  const floor = calibration.conformal.probability_floor;
  const logits = Array.from(probabilities, (p) => Math.log(Math.max(p, floor)) / calibration.temperature);
  const top = Math.max(...logits);
  const exp = logits.map((v) => Math.exp(v - top));
  const total = exp.reduce((a, b) => a + b, 0);
  const scaled = exp.map((v) => v / total);
  const reach = scaled.map((p, i) => (p >= calibration.conformal.threshold ? i : -1)).filter((i) => i >= 0);
  if (!reach.length) {
    const best = scaled.indexOf(Math.max(...scaled));
    return [best, best];
  }
  return [Math.min(...reach), Math.max(...reach)];
}

/** float32 values from base64 (a plain loop: Uint8Array.from with a callback took 70 ms for the whitening matrix). */
function floats(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** The calibration of models/analysis/unusual.json with its matrices decoded (once). */
export function unusualCalibration(json) {
  return { ...json, mean: Float32Array.from(json.mean), whitening: floats(json.whitening) };
}

/**
 * How unlike the training faces one input is (gen/analysis/unusual.py): the Mahalanobis distance of
 * the model's embedding from the training faces' mean, ||W (e - mean)|| with W the whitening matrix of
 * their (shrunk) covariance; flagged above the threshold (a percentile of validation faces).
 */
export function unusualScore(entry, rgb, size, calibration) {
  const embedded = tf.tidy(() => entry.embedder.predict(pixelsTensor(rgb, size)));
  const e = embedded.dataSync();
  embedded.dispose();
  const { mean, whitening, threshold } = calibration;
  const d = mean.length;
  const centred = Float64Array.from(e, (v, i) => v - mean[i]);
  let total = 0;
  for (let row = 0; row < whitening.length / d; row++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += whitening[row * d + j] * centred[j];
    total += sum * sum;
  }
  const score = Math.sqrt(total);
  return { score, threshold, flagged: score > threshold };
}
