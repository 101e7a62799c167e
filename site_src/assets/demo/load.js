// Loading: TF.js and its wasm backend, the published index and everything it names (models, face
// template, "unusual" calibration, colour maps, samples), and, on the Try-it page only, the face detector.
// Every URL is under the site's own root: the page never fetches from another host.

/* global tf */

export const ROOT = new URL('../../', import.meta.url); // this file is <site>/assets/demo/load.js
const TFJS = 'vendor/tfjs/tf.min.js';
const WASM_DIR = 'vendor/tfjs-backend-wasm/';
const FACE_API = 'vendor/face-api/face-api.esm.js';
const FACE_MODELS = 'vendor/face-api/model/';
export const INDEX = 'models/index.json';
// Fastest first, as measured by bench/browser.py (a small CNN: wasm ~ms, cpu and software webgl slower);
// each is tried in turn and the next one used if it cannot start. ?backend=NAME forces one.
const BACKENDS = ['wasm', 'webgl', 'cpu'];

export function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}

/** Load TF.js and its wasm backend from the site's vendor/ folder; start the first backend that works.
 * `prepare()` runs once TF.js is there, before a backend starts (e.g. to register kernels). */
export async function startTf(forced, prepare) {
  if (!window.tf) await loadScript(new URL(TFJS, ROOT).href);
  if (!tf.wasm) await loadScript(new URL(`${WASM_DIR}tf-backend-wasm.min.js`, ROOT).href);
  tf.wasm.setWasmPaths(new URL(WASM_DIR, ROOT).href);
  prepare?.();
  const names = forced ? [forced] : BACKENDS;
  for (const name of names) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch (error) {
      console.warn(`TF.js backend ${name} unavailable:`, error);
    }
  }
  throw new Error(`no TF.js backend could start (tried ${names.join(', ')})`);
}

export async function download(url, as) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url} (HTTP ${response.status})`);
  return response[as]();
}

/** A TF.js Layers model's files, fetched without TF.js: {modelTopology, weightSpecs, weightData}. */
export async function downloadModel(url) {
  const { modelTopology, weightsManifest } = await download(url, 'json');
  const paths = weightsManifest.flatMap((group) => group.paths);
  const parts = await Promise.all(paths.map((path) => download(new URL(path, url), 'arrayBuffer')));
  const weightData = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  parts.reduce((offset, part) => { weightData.set(new Uint8Array(part), offset); return offset + part.byteLength; }, 0);
  return { modelTopology, weightSpecs: weightsManifest.flatMap((group) => group.weights), weightData: weightData.buffer };
}

/**
 * Every file the page needs after TF.js. The index (docs/models/index.json, written by
 * `python -m gen build`) names the models, the compared pairs, the samples and the page data files
 * (face template and "unusual" calibration, colour maps); nothing here knows a model's name.
 */
export async function downloadAll(indexUrl = new URL(INDEX, ROOT)) {
  const index = await download(indexUrl, 'json');
  const files = index.page || {};
  const [artifacts, samples, pageData] = await Promise.all([
    Promise.all(Object.values(index.models).map((info) => downloadModel(new URL(info.url, indexUrl)))),
    Promise.all(index.samples.map(async (sample) => ({ ...sample, blob: await download(new URL(sample.file, indexUrl), 'blob') }))),
    Promise.all(Object.entries(files).map(async ([key, file]) => [key, await download(new URL(file, indexUrl), 'json')])),
  ]);
  return { index, artifacts, samples, ...Object.fromEntries(pageData) };
}

/**
 * The wasm backend's Concat copies one block per index before the axis, each with subarray() and set(): the
 * tiny face detector subtracts its mean colour by concatenating three one-channel tensors on the channel
 * axis, 173,056 blocks of one value at 416 px, which took 38 of the detector's 75 ms. Blocks of up to
 * `SMALL_BLOCK` values are copied value by value instead (the same values); other cases go to TF.js's kernel.
 */
const SMALL_BLOCK = 64;
function registerSmallBlockConcat() {
  const original = tf.getKernel('Concat', 'wasm');
  if (!original || original.smallBlocks) return;
  const kernelFunc = (args) => {
    const { inputs, attrs, backend } = args;
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    const { dtype, shape } = inputs[0];
    const axis = tf.util.parseAxisParam(attrs.axis, shape)[0];
    const blocks = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    if (parts.length < 2 || !['float32', 'int32'].includes(dtype) || parts.some((t) => t.dtype !== dtype)
      || Math.max(...blocks) > SMALL_BLOCK) return original.kernelFunc(args);
    const outShape = shape.slice();
    outShape[axis] = parts.reduce((sum, t) => sum + t.shape[axis], 0);
    const out = backend.makeOutput(outShape, dtype);
    const values = backend.typedArrayFromHeap(out); // views taken after makeOutput, which may grow the heap
    const sources = parts.map((t) => backend.typedArrayFromHeap(t));
    const outer = tf.util.sizeFromShape(shape.slice(0, axis));
    let o = 0;
    for (let b = 0; b < outer; b++) {
      for (let i = 0; i < sources.length; i++) {
        const source = sources[i];
        const block = blocks[i];
        for (let k = b * block, end = k + block; k < end; k++) values[o++] = source[k];
      }
    }
    return out;
  };
  tf.unregisterKernel('Concat', 'wasm');
  tf.registerKernel({ kernelName: 'Concat', backendName: 'wasm', kernelFunc, smallBlocks: true });
}

/** face-api (vendored by the build, bound to the page's TF.js) with its tiny detector and tiny
 * 68-point landmark model loaded from vendor/face-api/model/, and the wasm Concat it needs to run fast. */
export async function loadFaceApi() {
  registerSmallBlockConcat();
  const faceapi = await import(new URL(FACE_API, ROOT).href);
  const models = new URL(FACE_MODELS, ROOT).href;
  // Each manifest named in full (face-api reads a URI ending in .json as the manifest itself), so the build's
  // check that every shipped file is used by some page can see them; each manifest names its weights file.
  await Promise.all([
    faceapi.nets.tinyFaceDetector.loadFromUri(`${models}tiny_face_detector_model-weights_manifest.json`),
    faceapi.nets.faceLandmark68TinyNet.loadFromUri(`${models}face_landmark_68_tiny_model-weights_manifest.json`),
  ]);
  return faceapi;
}
