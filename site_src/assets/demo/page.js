// The "Try it" page: pick a sample or bring a photo; the page finds the faces, aligns the chosen one like
// the training faces, and shows what every model predicts, where the compared race models look, and
// whether the face is unlike the training faces. Everything runs here, in the browser: after the models
// and samples have loaded the page makes no network request, so the photo never leaves the device.
//
// Modules by job: load.js (files), image.js (decode, resample), face.js (detect, align), predict.js,
// explain.js (kernels), draw.js (heatmaps), crop.js (the crop tool); this file is the DOM and the camera.

// A face whose aligned crop lies more than this share outside the photo is cut by the photo's edge: the
// models never saw such a face, so it gets the caution whatever its embedding says.
const OUTSIDE_LIMIT = 0.2;

/* global tf */
import { CropTool } from './crop.js';
import { drawFaces, drawHeatmap, drawInput, sharedScale } from './draw.js';
import { addWasmGradientKernels, gradCam, integratedGradients } from './explain.js';
import { alignedSource, detectFaces, outsideShare, refineAlignment } from './face.js';
import { decodeImage, InputError, isGrayscale, readPixels, resampleSquare } from './image.js';
import { downloadAll, loadFaceApi, startTf } from './load.js';
import { ageRange, closeCall, loadModel, predictAll, ranked, unusualCalibration, unusualScore } from './predict.js';
import { element } from '../dom.js';

const percent = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.005 ? 0 : 1)}%`;
const binName = (label) => label.replace('-', '–');
const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

class TryIt {
  constructor(root) {
    this.root = root;
    this.faces = [];
    this.chosen = null;
    this.aligned = false;
  }

  q(selector) {
    return this.root.querySelector(selector);
  }

  /** Load everything the page needs (the only network traffic it makes), then show the first sample. */
  async start(params) {
    this.status('Loading the models…');
    this.timings = {}; // milliseconds since navigation started, for bench/browser.py and bench/wild.py
    const downloaded = downloadAll(); // overlaps with starting TF.js and compiling wasm
    this.backend = await startTf(params.get('backend'), addWasmGradientKernels);
    this.timings.tfjs = performance.now();
    const { index, artifacts, samples, template, unusual, colormaps } = await downloaded;
    this.index = index;
    this.models = index.models;
    this.template = template;
    this.colormaps = colormaps;
    this.unusual = unusual && unusualCalibration(unusual);
    this.size = Object.values(this.models)[0].input_size;
    const entries = await Promise.all(Object.values(this.models).map((info, i) =>
      loadModel(info, artifacts[i], info.name === this.unusual?.model ? this.unusual.layer : null)));
    this.entries = Object.fromEntries(entries.map((entry) => [entry.info.name, entry]));
    this.timings.models = performance.now();
    this.samples = samples;
    this.buildResults();
    this.crop = new CropTool(this.q('.ti-crop-canvas'), this.q('.ti-zoom'), () => this.update());
    this.crop.attach();
    this.bindInputs();
    await this.useSample(this.samples[0]);
    await new Promise(requestAnimationFrame); // the crop tool analyses on the frame it asked for, before this
    this.timings.firstPrediction = performance.now();
    this.detector(); // the face detector loads after the first answer: a sample does not need it
    await this.showSamples(); // thumbnails after the first answer: they are not needed for it
    await this.detector().catch(() => {}); // ready means every file is here: nothing is fetched later
    this.status(`Ready: ${entries.length} models running on your device (TF.js ${tf.version.tfjs}, ${this.backend} backend).`);
  }

  /** The parts of the results that depend on which models the index publishes. */
  buildResults() {
    const byTask = (task) => Object.values(this.models).filter((info) => info.task === task);
    this.pair = (this.index.pairs?.race || []).filter((name) => this.models[name]);
    this.ageModels = byTask('age').map((info) => info.name);
    this.genderModel = byTask('gender')[0]?.name;
    const title = (name) => `${capitalised(this.models[name].training_subset || name)} model`;
    this.q('.ti-race thead tr').replaceChildren(element('th', { scope: 'col' }, 'Race'),
      ...this.pair.map((name) => element('th', { scope: 'col' }, title(name))));
    this.q('.ti-cams').replaceChildren(...this.pair.map((name) => element('figure', { class: 'ti-cam', 'data-model': name },
      element('canvas', { width: '256', height: '256', role: 'img', 'aria-label': `Grad-CAM of the ${title(name).toLowerCase()}` }),
      element('figcaption', {}, `${title(name)}: `, element('span', { class: 'ti-cam-label' })))));
    this.q('.ti-ages').replaceChildren(...this.ageModels.map((name) => element('div', { class: 'ti-age', 'data-model': name },
      element('h4', {}, this.models[name].balanced_class_weights ? 'Class-weighted model' : 'Unweighted model'),
      element('div', { class: 'ti-age-body' }))));
    this.q('.ti-ig-model').replaceChildren(...Object.values(this.models).map((info) =>
      element('option', { value: info.name }, `${info.task} (${info.name})`)));
    const copies = Object.values(this.models).map((info) => `${info.name}: ${info.quantisation || 'float32'}`);
    this.q('.ti-copies').textContent = 'The browser runs copies of the models whose weights are stored in fewer bits ' +
      `(${copies.join(', ')}); the article's numbers come from the float32 originals, and each copy was checked ` +
      'to give the same answers on the test faces (see the export figures on the models page).';
  }

  /** face-api with its models, loading on first use (a rejected load is reported when a photo needs it). */
  detector() {
    if (!this.faceApi) {
      this.faceApi = loadFaceApi();
      this.faceApi.catch(() => {});
    }
    return this.faceApi;
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
    picker.addEventListener('change', () => {
      if (picker.files[0]) this.useFile(picker.files[0]).catch(() => {});
      picker.value = '';
    });
    const zone = this.q('.ti-drop');
    zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('ti-dragging'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('ti-dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('ti-dragging');
      const file = event.dataTransfer.files[0];
      if (file) this.useFile(file).catch(() => {});
      else this.fail('That was not a file. Drop a photo from your computer.');
    });
    this.q('.ti-ig-run').addEventListener('click', () => this.explainIg());
    const overview = this.q('.ti-faces-canvas');
    overview.addEventListener('click', (event) => this.pickAt(event));
    if (navigator.mediaDevices?.getUserMedia) {
      const camera = this.q('.ti-camera');
      camera.hidden = false;
      camera.addEventListener('click', () => this.openCamera());
      this.q('.ti-shoot').addEventListener('click', () => this.shoot());
      this.q('.ti-camera-cancel').addEventListener('click', () => this.closeCamera());
    }
  }

  markSample(id) {
    this.sampleId = id;
    this.root.querySelectorAll('.ti-sample').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.id === id)));
  }

  /** A curated sample is already a training-style crop: it is shown as it is, as in the article. */
  async useSample(sample) {
    const source = await decodeImage(sample.blob, this.size);
    this.markSample(sample.id);
    this.photo = source;
    this.faces = [];
    this.chosen = null;
    this.aligned = false;
    this.q('.ti-faces').hidden = true;
    const { race, gender, age } = sample.labels;
    this.show(source, null, `Sample from the UTKFace test split; its labels say ${race}, ${gender.toLowerCase()}, ${age}.`);
  }

  /** A visitor's photo (from the file picker or a drop); errors are shown, and also thrown to the caller. */
  async useFile(file) {
    this.message('');
    this.message('', 'note');
    this.status(`Reading “${file.name || 'the photo'}” on your device…`);
    let photo;
    try {
      photo = await decodeImage(file, this.size);
    } catch (error) {
      this.status('Ready.');
      this.fail(error instanceof InputError ? error.message : `Could not use that file: ${error.message}`);
      throw error;
    }
    this.markSample(null);
    await this.usePhoto(photo);
    this.status('Your photo stays on this device. Drag or zoom the square to change what the models see.');
  }

  /** Find the faces in a decoded photo, align the largest and analyse it; no face: the manual crop. */
  async usePhoto(photo) {
    this.photo = photo;
    this.status('Looking for faces…');
    const started = performance.now();
    let faceApi;
    try {
      faceApi = await this.detector();
    } catch (error) {
      this.message(`The face detector could not start (${error.message}); frame the face by hand.`, 'note');
    }
    this.faceApiReady = faceApi;
    this.faces = faceApi ? await detectFaces(faceApi, photo, this.template) : [];
    this.timings.detect = performance.now() - started;
    if (this.faces.length) {
      await this.choose(0);
    } else {
      this.chosen = null;
      this.aligned = false;
      this.showFaces();
      this.show(photo, null, 'No face was found in this photo. Frame the face by hand: drag the square and zoom until ' +
        'the face fills it like the dashed guide (eyes on the circles, mouth on the line).', true);
    }
  }

  /** Align face `i` of the current photo onto the template (refined once) and analyse it. */
  async choose(i) {
    const started = performance.now();
    this.chosen = i;
    const side = this.template.crop_side;
    const margin = Math.round(side / 2);
    const face = this.faces[i];
    if (!face.refined) {
      const { transform, landmarks5 } = await refineAlignment(this.faceApiReady, this.photo, face, this.template);
      Object.assign(face, { transform, landmarks5, refined: true, outside: outsideShare(this.photo, transform, side) });
    }
    const source = alignedSource(this.photo, face.transform, side, margin);
    this.aligned = true;
    this.timings.align = performance.now() - started;
    this.showFaces();
    const several = this.faces.length > 1
      ? ` ${this.faces.length} faces were found; face ${i + 1}, the ${i ? 'one you chose' : 'largest'}, is shown. Pick another below the photo.`
      : '';
    this.show(source, { x: margin, y: margin, side },
      `Face found and aligned: eyes, nose and mouth moved to where they sit in the training faces.${several}`);
  }

  showFaces() {
    const box = this.q('.ti-faces');
    box.hidden = this.faces.length < 2;
    if (box.hidden) return;
    const canvas = this.q('.ti-faces-canvas');
    canvas.width = 480;
    canvas.height = 480;
    this.overviewScale = drawFaces(canvas, this.photo, this.faces, this.chosen);
    canvas.setAttribute('aria-label', `Your photo with ${this.faces.length} faces boxed and numbered; face ${this.chosen + 1} is analysed.`);
    this.q('.ti-face-buttons').replaceChildren(...this.faces.map((face, i) => {
      const button = element('button', { type: 'button', class: 'ti-button ti-face', 'aria-pressed': String(i === this.chosen) }, `Face ${i + 1}`);
      button.addEventListener('click', () => this.choose(i));
      return button;
    }));
  }

  pickAt(event) {
    const rect = event.target.getBoundingClientRect();
    const k = this.overviewScale * rect.width / event.target.width;
    const [x, y] = [(event.clientX - rect.left) / k, (event.clientY - rect.top) / k];
    const hit = this.faces.findIndex(({ box: [bx, by, w, h] }) => x >= bx && x <= bx + w && y >= by && y <= by + h);
    if (hit >= 0 && hit !== this.chosen) this.choose(hit);
  }

  async openCamera() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false });
    } catch (error) {
      this.fail(`The camera is not available (${error.name}). You can choose a photo instead.`);
      return;
    }
    const video = this.q('.ti-video');
    video.srcObject = this.stream;
    this.q('.ti-camera-panel').hidden = false;
    await video.play();
  }

  async shoot() {
    const video = this.q('.ti-video');
    const [width, height] = [video.videoWidth, video.videoHeight];
    const frame = Math.min(width, height) >= this.size ? readPixels(video, width, height) : null;
    this.closeCamera();
    if (!frame) {
      this.fail(`The camera gives only ${width} × ${height} pixels; the models need ${this.size} × ${this.size}.`);
      return;
    }
    this.message('');
    this.markSample(null);
    await this.usePhoto(frame);
    this.status('The camera photo stays on this device.');
  }

  closeCamera() {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.q('.ti-video').srcObject = null;
    this.q('.ti-camera-panel').hidden = true;
  }

  /** Put a source in the crop tool (at `box`, or its largest centred square) and analyse it. */
  show(source, box, caption, manual = false) {
    this.message('');
    this.q('.ti-caption').textContent = caption;
    this.q('.ti-caption').classList.toggle('ti-warning', manual);
    this.notes = source.notes;
    this.crop.load(source, this.size, box);
  }

  /** An input problem: say it, and clear the answers so none is mistaken for the new photo's. */
  fail(text) {
    this.message(text);
    this.clearAnswers();
  }

  clearAnswers() {
    this.predictions = null;
    this.q('.ti-answers').hidden = true;
    this.q('.ti-summary').replaceChildren();
    this.q('.ti-caution').hidden = true;
    this.q('.ti-close-note').hidden = true;
    this.q('.ti-ig-result').hidden = true;
  }

  /** Everything that follows a crop change: predictions, the unusual score and live Grad-CAM
   * (synchronous, so never stale). */
  update() {
    const { x, y, side } = this.crop.box;
    this.input = resampleSquare(this.crop.source, x, y, side, this.size);
    const notes = [...this.notes];
    if (isGrayscale(this.input)) {
      notes.push('This is a black-and-white photo; the models were trained on colour photos, so treat the results with extra caution.');
    }
    this.message(notes.join(' '), 'note');
    this.igToken = (this.igToken || 0) + 1;
    this.q('.ti-ig-result').hidden = true;
    this.q('.ti-answers').hidden = false;
    this.inputCanvas = drawInput(this.q('.ti-seen'), this.input, this.size);
    this.predictions = predictAll(Object.values(this.entries), this.input, this.size);
    this.unusualResult = this.unusual ? unusualScore(this.entries[this.unusual.model], this.input, this.size, this.unusual) : null;
    this.cut = this.aligned && this.faces[this.chosen]?.outside > OUTSIDE_LIMIT;
    if (this.unusualResult && this.cut) this.unusualResult.flagged = true;
    this.showCaution();
    this.showPredictions();
    this.showGradCam();
    this.root.dataset.analyses = String(Number(this.root.dataset.analyses || 0) + 1);
  }

  showCaution() {
    const caution = this.q('.ti-caution');
    const reasons = [];
    if (!this.sampleId && !this.aligned) reasons.push('No face was found, so the models see only the square you framed.');
    if (this.cut) {
      reasons.push(`${Math.round(100 * this.faces[this.chosen].outside)}% of the face's square lies outside the photo: ` +
        'the face is cut off, which the models never saw.');
    } else if (this.unusualResult?.flagged) {
      reasons.push(`This crop is unlike the training faces (score ${this.unusualResult.score.toFixed(1)}, above the ` +
        `${this.unusual.threshold.toFixed(1)} that ${Math.round(100 * this.unusual.percentile)}% of validation faces aligned this way stay under): ` +
        'the answers below are even less reliable than usual.');
    }
    caution.textContent = reasons.length ? `Caution: ${reasons.join(' ')}` : '';
    caution.hidden = !reasons.length;
  }

  showPredictions() {
    const p = this.predictions;
    const summary = [];
    // Close calls of the gender and race answers: the runner-up within the index's margin of the top answer.
    const runnersUp = Object.fromEntries([this.genderModel, ...this.pair].filter(Boolean).map((name) =>
      [name, closeCall(p[name], this.models[name].labels, this.index.close_call)]));
    const closeText = (name) => (runnersUp[name]
      ? `, a close call with ${runnersUp[name].label} (${percent(runnersUp[name].p)})` : '');
    const gender = this.genderModel && ranked(p[this.genderModel], this.models[this.genderModel].labels)[0];
    const genderClose = closeText(this.genderModel);
    this.q('.ti-gender').textContent = gender ? `${gender.label} (${percent(gender.p)})${genderClose}` : '';
    if (gender) summary.push(`Gender: ${gender.label} ${percent(gender.p)}${genderClose}`);
    const table = this.q('.ti-race tbody');
    table.replaceChildren();
    const labels = this.pair.length ? this.models[this.pair[0]].labels : [];
    const best = Object.fromEntries(this.pair.map((name) => [name, ranked(p[name], labels)[0]]));
    labels.forEach((label, i) => {
      const row = element('tr', {}, element('th', { scope: 'row' }, label));
      for (const name of this.pair) {
        const bar = element('span', { class: 'ti-bar' });
        bar.style.width = `${(100 * p[name][i]).toFixed(1)}%`;
        const cell = element('td', { class: best[name].index === i ? 'ti-top' : '' }, element('span', { class: 'ti-value' }, percent(p[name][i])), bar);
        row.append(cell);
      }
      table.append(row);
    });
    for (const name of this.pair) {
      summary.push(`Race (${this.models[name].training_subset || name}): ${best[name].label} ${percent(best[name].p)}` +
        closeText(name));
    }
    for (const name of this.ageModels) {
      const info = this.models[name];
      const box = this.q(`.ti-age[data-model="${name}"]`);
      const top = ranked(p[name], info.labels, 3);
      const list = element('ol', {}, ...top.map(({ label, p: q }) => element('li', {}, `${binName(label)}: ${percent(q)}`)));
      const parts = [list];
      let span = binName(top[0].label);
      if (info.calibration) {
        const [lo, hi] = ageRange(p[name], info.calibration);
        span = lo === hi ? binName(info.labels[lo]) : `${info.labels[lo].split('-')[0]}–${binName(info.labels[hi]).split('–').pop()}`;
        const coverage = 1 - info.calibration.conformal.alpha;
        parts.push(element('p', { class: 'ti-range' }, `Calibrated ${Math.round(100 * coverage)}% range: ${span}`));
      }
      box.querySelector('.ti-age-body').replaceChildren(...parts);
      if (name === this.ageModels[0]) summary.push(`Age: ${span}`);
    }
    this.q('.ti-summary').replaceChildren(...summary.map((text) => element('span', {}, text)));
    const note = this.q('.ti-close-note');
    note.hidden = !Object.values(runnersUp).some(Boolean);
    const points = Math.round(100 * this.index.close_call);
    note.textContent = note.hidden ? '' : `A close call: the top two answers are less than ${points} percentage points ` +
      'apart, so a slightly different crop can swap them.';
  }

  showGradCam() {
    const maps = this.pair.map((name) => {
      const target = ranked(this.predictions[name], this.models[name].labels)[0];
      return { name, target, cam: gradCam(this.entries[name], this.input, this.size, target.index) };
    });
    const scale = sharedScale(maps.map((m) => m.cam));
    this.cams = maps;
    const image = this.cropCanvas();
    for (const { name, target, cam } of maps) {
      const figure = this.q(`.ti-cam[data-model="${name}"]`);
      const canvas = figure.querySelector('canvas');
      drawHeatmap(canvas, image, cam, scale, this.colormaps);
      const text = `${target.label} (${percent(target.p)})`;
      figure.querySelector('.ti-cam-label').textContent = text;
      canvas.setAttribute('aria-label', `Grad-CAM heatmap of the ${this.models[name].training_subset || name} race model ` +
        `for its answer ${text}, drawn over the face: brighter means more evidence.`);
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
    if (!this.predictions) return;
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
      const canvas = result.querySelector('canvas');
      drawHeatmap(canvas, this.cropCanvas(), ig, scale, this.colormaps, true);
      const text = `${this.models[name].task} model ${name}: ${target.label} (${percent(target.p)}). ` +
        `Red raises that probability, blue lowers it. ${steps} steps in ${Math.round(performance.now() - started)} ms; ` +
        `completeness gap ${ig.delta.toExponential(1)} (smaller is more exact: add steps to shrink it).`;
      result.querySelector('.ti-ig-label').textContent = text;
      canvas.setAttribute('aria-label', `Integrated Gradients map of the ${name} model drawn over the face`);
      result.hidden = false;
      this.ig = ig;
    } finally {
      button.disabled = false;
    }
  }

  /**
   * For automated checks and the benchmark: analyse a File or Blob as the page does when one is chosen,
   * and return what the page then shows, in the photo's own pixel coordinates:
   * {faces: [{box, score, landmarks5}], chosen, aligned, unusual: {score, threshold, flagged},
   *  predictions: {name: {labels, probabilities}}}. Rejects (after showing the message) for a bad file.
   */
  async analyse(fileOrBlob) {
    const before = Number(this.root.dataset.analyses || 0);
    await this.useFile(fileOrBlob);
    while (Number(this.root.dataset.analyses || 0) === before) await new Promise(requestAnimationFrame);
    return {
      faces: this.faces.map(({ box, score, landmarks5 }) => ({ box, score, landmarks5 })),
      chosen: this.chosen,
      aligned: this.aligned,
      unusual: this.unusualResult ? { ...this.unusualResult } : null,
      predictions: Object.fromEntries(Object.entries(this.predictions).map(([name, p]) =>
        [name, { labels: this.models[name].labels, probabilities: Array.from(p) }])),
    };
  }
}

/** Start the page in the element with class "try-it" (there is one). */
const root = document.querySelector('.try-it');
if (root) {
  const page = new TryIt(root);
  const params = new URLSearchParams(location.search);
  // For tests and the benchmarks: the page, resolved once it is ready (first sample analysed, samples shown).
  window.tryIt = page;
  window.tryItReady = page.start(params).then(() => page, (error) => {
    page.status('');
    page.message(`The models could not start: ${error.message}`);
    throw error;
  });
}
