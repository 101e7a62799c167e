// The "Try it" page: pick a sample or bring a photo, crop it, and see what every model predicts and
// where the fair and the biased race models look. Everything runs here, in the browser: after the
// models and samples have loaded the page makes no network request, so the photo never leaves the device.

/* global tf */
import { CropTool } from './crop.js';
import { decodeImage, InputError, isGrayscale, readPixels, resampleSquare } from './image.js';
import {
  addWasmGradientKernels, drawHeatmap, gradCam, integratedGradients, loadModel, predictAll, sharedScale,
} from './explain.js';

const ROOT = new URL('../../', import.meta.url); // this file is <site>/assets/demo/demo.js
const TFJS = 'vendor/tfjs/tf.min.js';
const WASM_DIR = 'vendor/tfjs-backend-wasm/';
const INDEX = 'models/index.json';
// Fastest first, as measured by bench/browser.py (a small CNN: wasm ~ms, cpu and software webgl slower);
// each is tried in turn and the next one used if it cannot start. ?backend=NAME forces one.
const BACKENDS = ['wasm', 'webgl', 'cpu'];
const RACE_MODELS = ['race_fair', 'race_biased'];
const AGE_MODELS = ['age_base', 'age_weighted'];

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}

/** Load TF.js and its wasm backend from the site's own vendor/ folder; start the first backend that works. */
async function startTf(forced) {
  if (!window.tf) await loadScript(new URL(TFJS, ROOT).href);
  if (!tf.wasm) await loadScript(new URL(`${WASM_DIR}tf-backend-wasm.min.js`, ROOT).href);
  tf.wasm.setWasmPaths(new URL(WASM_DIR, ROOT).href);
  addWasmGradientKernels();
  for (const name of forced ? [forced] : BACKENDS) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch (error) {
      console.warn(`TF.js backend ${name} unavailable:`, error);
    }
  }
  throw new Error(`no TF.js backend could start (tried ${(forced ? [forced] : BACKENDS).join(', ')})`);
}

async function download(url, as) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url} (HTTP ${response.status})`);
  return response[as]();
}

/** A TF.js Layers model's files, fetched without TF.js: {modelTopology, weightSpecs, weightData}. */
async function downloadModel(url) {
  const { modelTopology, weightsManifest } = await download(url, 'json');
  const paths = weightsManifest.flatMap((group) => group.paths);
  const parts = await Promise.all(paths.map((path) => download(new URL(path, url), 'arrayBuffer')));
  const weightData = new Uint8Array(parts.reduce((total, part) => total + part.byteLength, 0));
  parts.reduce((offset, part) => { weightData.set(new Uint8Array(part), offset); return offset + part.byteLength; }, 0);
  return { modelTopology, weightSpecs: weightsManifest.flatMap((group) => group.weights), weightData: weightData.buffer };
}

/** Every file the page needs after TF.js: the index, each model's files and the sample photos. */
async function downloadAll(indexUrl) {
  const index = await download(indexUrl, 'json');
  const [artifacts, samples] = await Promise.all([
    Promise.all(Object.values(index.models).map((info) => downloadModel(new URL(info.url, indexUrl)))),
    Promise.all(index.samples.map(async (sample) => ({ ...sample, blob: await download(new URL(sample.file, indexUrl), 'blob') }))),
  ]);
  return { index, artifacts, samples };
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

const percent = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;
const binName = (label) => label.replace('-', '–');

function ranked(probabilities, labels, k = labels.length) {
  return Array.from(probabilities, (p, i) => ({ label: labels[i], index: i, p }))
    .sort((a, b) => b.p - a.p).slice(0, k);
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

class TryIt {
  constructor(root) {
    this.root = root;
  }

  q(selector) {
    return this.root.querySelector(selector);
  }

  /** Load everything the page needs (the only network traffic it makes), then show the first sample. */
  async start(params) {
    this.status('Loading the models…');
    this.timings = {}; // milliseconds since navigation started, for bench/browser.py
    const downloaded = downloadAll(new URL(INDEX, ROOT)); // overlaps with starting TF.js and compiling wasm
    this.backend = await startTf(params.get('backend'));
    this.timings.tfjs = performance.now();
    const { index, artifacts, samples } = await downloaded;
    this.models = index.models;
    this.size = Object.values(this.models)[0].input_size;
    const entries = await Promise.all(Object.values(this.models).map((info, i) => loadModel(info, artifacts[i])));
    this.entries = Object.fromEntries(entries.map((entry) => [entry.info.name, entry]));
    this.timings.models = performance.now();
    this.samples = samples;
    this.crop = new CropTool(this.q('.ti-crop-canvas'), this.q('.ti-zoom'), () => this.analyse());
    this.crop.attach();
    this.bindInputs();
    await this.useSample(this.samples[0]);
    await new Promise(requestAnimationFrame); // the crop tool analyses on the frame it asked for, before this
    this.timings.firstPrediction = performance.now();
    await this.showSamples(); // thumbnails after the first answer: they are not needed for it
    this.status(`Ready: ${entries.length} models running on your device (TF.js ${tf.version.tfjs}, ${this.backend} backend).`);
  }

  status(text) {
    this.q('.ti-status').textContent = text;
  }

  /** Show an input problem (kind 'error') or remarks about the input (kind 'note'); '' clears. */
  message(text, kind = 'error') {
    const box = this.q(kind === 'error' ? '.ti-error' : '.ti-notes');
    box.textContent = text;
    box.hidden = !text;
  }

  async showSamples() {
    const list = this.q('.ti-samples');
    for (const sample of this.samples) {
      const thumb = element('canvas', { width: '64', height: '64', 'aria-hidden': 'true' });
      const bitmap = await createImageBitmap(sample.blob);
      thumb.getContext('2d').drawImage(bitmap, 0, 0, 64, 64);
      bitmap.close();
      const { race, gender, age } = sample.labels;
      const button = element('button', { type: 'button', class: 'ti-sample', 'data-id': sample.id,
        title: `${race} ${gender.toLowerCase()}, ${age} (dataset labels)` }, thumb);
      button.setAttribute('aria-label', `Sample: ${race} ${gender.toLowerCase()}, age ${age}`);
      button.setAttribute('aria-pressed', String(sample.id === this.sampleId));
      button.addEventListener('click', () => this.useSample(sample));
      list.append(button);
    }
  }

  bindInputs() {
    const picker = this.q('.ti-file');
    picker.addEventListener('change', () => { if (picker.files[0]) this.useFile(picker.files[0]); picker.value = ''; });
    const zone = this.q('.ti-drop');
    zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('ti-dragging'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('ti-dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('ti-dragging');
      const file = event.dataTransfer.files[0];
      if (file) this.useFile(file);
      else this.message('That was not a file. Drop a photo from your computer.');
    });
    this.q('.ti-ig-run').addEventListener('click', () => this.explainIg());
    if (navigator.mediaDevices?.getUserMedia) {
      const camera = this.q('.ti-camera');
      camera.hidden = false;
      camera.addEventListener('click', () => this.openCamera());
      this.q('.ti-shoot').addEventListener('click', () => this.shoot());
      this.q('.ti-camera-cancel').addEventListener('click', () => this.closeCamera());
    }
  }

  async useSample(sample) {
    const source = await decodeImage(sample.blob, this.size);
    this.sampleId = sample.id;
    this.root.querySelectorAll('.ti-sample').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.id === sample.id)));
    const { race, gender, age } = sample.labels;
    this.show(source, `Sample from the UTKFace test split; its labels say ${race}, ${gender.toLowerCase()}, ${age}.`);
  }

  async useFile(file) {
    this.message('');
    this.message('', 'note');
    this.status(`Reading “${file.name}” on your device…`);
    try {
      const source = await decodeImage(file, this.size);
      this.sampleId = null;
      this.root.querySelectorAll('.ti-sample').forEach((b) => b.setAttribute('aria-pressed', 'false'));
      this.show(source, '');
      this.status('Your photo stays on this device. Drag the square to frame the face like the guide.');
    } catch (error) {
      this.status('Ready.');
      this.message(error instanceof InputError ? error.message : `Could not use that file: ${error.message}`);
    }
  }

  async openCamera() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false });
    } catch (error) {
      this.message(`The camera is not available (${error.name}). You can choose a photo instead.`);
      return;
    }
    const video = this.q('.ti-video');
    video.srcObject = this.stream;
    this.q('.ti-camera-panel').hidden = false;
    await video.play();
  }

  shoot() {
    const video = this.q('.ti-video');
    const notes = [];
    if (Math.min(video.videoWidth, video.videoHeight) < this.size) {
      this.message(`The camera gives only ${video.videoWidth} × ${video.videoHeight} pixels; the models need ${this.size} × ${this.size}.`);
    } else {
      this.sampleId = null;
      this.show(readPixels(video, video.videoWidth, video.videoHeight, notes), '');
    }
    this.closeCamera();
  }

  closeCamera() {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.q('.ti-video').srcObject = null;
    this.q('.ti-camera-panel').hidden = true;
  }

  show(source, caption) {
    this.message('');
    this.q('.ti-caption').textContent = caption;
    this.notes = source.notes;
    this.crop.load(source, this.size);
    this.q('.ti-crop-canvas').focus({ preventScroll: true });
  }

  /** Everything that follows a crop change: predictions and live Grad-CAM (synchronous, so never stale). */
  analyse() {
    const { x, y, side } = this.crop.box;
    this.input = resampleSquare(this.crop.source, x, y, side, this.size);
    const notes = [...this.notes];
    if (isGrayscale(this.input)) {
      notes.push('This is a black-and-white photo; the models were trained on colour photos, so treat the results with extra caution.');
    }
    this.message(notes.join(' '), 'note');
    this.igToken = (this.igToken || 0) + 1;
    this.q('.ti-ig-result').hidden = true;
    this.drawInput();
    this.predictions = predictAll(Object.values(this.entries), this.input, this.size);
    this.showPredictions();
    this.showGradCam();
    this.root.dataset.analyses = String(Number(this.root.dataset.analyses || 0) + 1);
  }

  drawInput() {
    const seen = this.q('.ti-seen');
    const small = new OffscreenCanvas(this.size, this.size);
    const pixels = small.getContext('2d').createImageData(this.size, this.size);
    for (let i = 0, j = 0; i < this.input.length; i += 3, j += 4) {
      pixels.data.set([this.input[i], this.input[i + 1], this.input[i + 2], 255], j);
    }
    small.getContext('2d').putImageData(pixels, 0, 0);
    const context = seen.getContext('2d');
    context.imageSmoothingEnabled = false; // show the 64 x 64 pixels the models get, unsmoothed
    context.drawImage(small, 0, 0, seen.width, seen.height);
    this.inputCanvas = small;
  }

  showPredictions() {
    const p = this.predictions;
    const gender = this.models.gender && ranked(p.gender, this.models.gender.labels)[0];
    this.q('.ti-gender').textContent = gender ? `${gender.label} (${percent(gender.p)})` : '';
    const table = this.q('.ti-race tbody');
    table.replaceChildren();
    const labels = this.models.race_fair.labels;
    const best = Object.fromEntries(RACE_MODELS.map((name) => [name, ranked(p[name], labels)[0].index]));
    labels.forEach((label, i) => {
      const row = element('tr', {}, element('th', { scope: 'row' }, label));
      for (const name of RACE_MODELS) {
        const bar = element('span', { class: 'ti-bar' });
        bar.style.width = `${(100 * p[name][i]).toFixed(1)}%`;
        const cell = element('td', { class: best[name] === i ? 'ti-top' : '' }, element('span', { class: 'ti-value' }, percent(p[name][i])), bar);
        row.append(cell);
      }
      table.append(row);
    });
    for (const name of AGE_MODELS) {
      const info = this.models[name];
      const box = this.q(`.ti-age[data-model="${name}"]`);
      if (!info || !box) continue;
      const top = ranked(p[name], info.labels, 3);
      const list = element('ol', {}, ...top.map(({ label, p: q }) => element('li', {}, `${binName(label)}: ${percent(q)}`)));
      const parts = [list];
      if (info.calibration) {
        const [lo, hi] = ageRange(p[name], info.calibration);
        const span = lo === hi ? binName(info.labels[lo]) : `${info.labels[lo].split('-')[0]}–${binName(info.labels[hi]).split('–').pop()}`;
        const coverage = 1 - info.calibration.conformal.alpha;
        parts.push(element('p', { class: 'ti-range' }, `Calibrated ${Math.round(100 * coverage)}% range: ${span}`));
      }
      box.querySelector('.ti-age-body').replaceChildren(...parts);
    }
  }

  showGradCam() {
    const maps = RACE_MODELS.map((name) => {
      const target = ranked(this.predictions[name], this.models[name].labels)[0];
      return { name, target, cam: gradCam(this.entries[name], this.input, this.size, target.index) };
    });
    const scale = sharedScale(maps.map((m) => m.cam));
    this.cams = maps;
    for (const { name, target, cam } of maps) {
      const figure = this.q(`.ti-cam[data-model="${name}"]`);
      drawHeatmap(figure.querySelector('canvas'), this.cropCanvas(), cam, scale);
      figure.querySelector('.ti-cam-label').textContent = `${target.label} (${percent(target.p)})`;
    }
  }

  /** The current crop at display size (the heatmaps are drawn over it). */
  cropCanvas() {
    const canvas = new OffscreenCanvas(256, 256);
    const context = canvas.getContext('2d');
    context.imageSmoothingQuality = 'high';
    const { x, y, side } = this.crop.box;
    context.drawImage(this.crop.image, x, y, side, side, 0, 0, 256, 256);
    return canvas;
  }

  async explainIg() {
    const name = this.q('.ti-ig-model').value;
    const steps = Number(this.q('.ti-ig-steps').value);
    const token = this.igToken;
    const button = this.q('.ti-ig-run');
    const progress = this.q('.ti-ig-progress');
    const target = ranked(this.predictions[name], this.models[name].labels)[0];
    button.disabled = true;
    const input = this.input;
    const started = performance.now();
    try {
      const ig = await integratedGradients(this.entries[name], input, this.size, target.index, steps,
        (done, total) => { progress.value = done / total; });
      if (token !== this.igToken) return; // the crop changed meanwhile: this map is for another input
      const scale = sharedScale([ig], 0.99);
      const result = this.q('.ti-ig-result');
      drawHeatmap(result.querySelector('canvas'), this.cropCanvas(), ig, scale, true);
      result.querySelector('.ti-ig-label').textContent =
        `${this.models[name].task} model ${name}: ${target.label} (${percent(target.p)}). ` +
        `Red raises that probability, blue lowers it. ${steps} steps in ${Math.round(performance.now() - started)} ms; ` +
        `completeness gap ${ig.delta.toExponential(1)} (smaller is more exact: add steps to shrink it).`;
      result.hidden = false;
      this.ig = ig;
    } finally {
      button.disabled = false;
    }
  }
}

/** Start the page in every element with class "try-it" (there is one). */
const root = document.querySelector('.try-it');
if (root) {
  const page = new TryIt(root);
  const params = new URLSearchParams(location.search);
  // For tests and bench/browser.py: the page, resolved once it is ready (first sample analysed, samples shown).
  window.tryIt = page;
  window.tryItReady = page.start(params).then(() => page, (error) => {
    page.status('');
    page.message(`The models could not start: ${error.message}`);
    throw error;
  });
}
