// The heatmap explorer of "What the models look at": one face, one model (or the two race models side
// by side on one colour scale), one method, one class at a time. It reads the curated-sample index that
// the build writes (generated/explain/samples.json) and loads a picture only when it is shown.
// Plain ES module, no framework; every control is a native <select> or <button>, so keyboard and touch
// work as they do everywhere else.

import { element } from '../dom.js';

const ROOT = new URL('../../', import.meta.url);
const INDEX = new URL('generated/explain/samples.json', ROOT);
const PAIR = 'pair';
const NAMES = {race_fair: 'balanced', race_biased: 'Census-shaped'};

function percent(p) {
  return `${(100 * p).toFixed(1)}%`;
}

function number(value) {
  return Number(value).toPrecision(2).replace('-', '−');
}

function select(label, options, onChange) {
  const control = element('select');
  for (const [value, text] of options) control.append(element('option', {value, text}));
  control.addEventListener('change', onChange);
  return [element('label', {}, element('span', {text: label}), control), control];
}

// What to draw for the current choice: [{model, class, probability, overlay}], the divisor and its sign.
export function panels(index, choice) {
  const sample = index.samples[choice.face];
  const signed = index.methods[choice.method].signed;
  if (choice.model === PAIR) {
    const rows = sample.comparison;
    const row = choice.role === 'true' ? rows.find((r) => r.role === 'true')
      : rows.find((r) => r.role === 'predicted') || rows.find((r) => r.role === 'true');
    return {signed, scale: row.scale[choice.method], shared: true,
      shown: index.compared.map((name) => ({model: name, class: row.models[name].class,
        probability: row.models[name].probability, overlay: row.models[name].maps[choice.method].overlay}))};
  }
  const entry = sample.models[choice.model];
  const wanted = choice.role === 'true' ? ['true', 'predicted_and_true'] : ['predicted', 'predicted_and_true'];
  const explained = entry.explained.find((e) => wanted.includes(e.role)) || entry.explained[0];
  const map = explained.maps[choice.method];
  return {signed, scale: map.scale, shared: false,
    shown: [{model: choice.model, class: explained.class, probability: explained.probability, overlay: map.overlay}]};
}

function colourBar(display, signed, scale, shared) {
  const stops = signed ? display.signed_stops : display.stops;
  const bar = element('div', {class: 'ex-bar-colours'});
  bar.style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  const ticks = signed ? [`−${number(scale)}`, '0', `+${number(scale)}`] : ['0', number(scale)];
  const labels = element('div', {class: 'ex-bar-ticks'}, ...ticks.map((t) => element('span', {text: t})));
  const meaning = signed ? 'red raised the probability, blue lowered it' : 'brighter: more evidence for the class';
  const which = shared ? 'one scale for both maps' : 'this map’s own scale';
  const note = element('p', {class: 'ex-bar-note',
    text: `Colour scale (${which}): ${meaning}; the ends are ±${number(scale)} in the method’s units ` +
      `(the ${display.percentile}th percentile of the values shown).`});
  return element('div', {class: 'ex-bar', role: 'img',
    'aria-label': `colour scale from ${ticks[0]} to ${ticks[ticks.length - 1]}`}, bar, labels, note);
}

function render(root, index, choice) {
  const {signed, scale, shared, shown} = panels(index, choice);
  const sample = index.samples[choice.face];
  const method = index.methods[choice.method].title;
  const figures = shown.map((p) => {
    const img = element('img', {src: new URL(p.overlay, ROOT).href, width: index.overlay_size,
      height: index.overlay_size, alt: `${method} of ${p.model} for ${p.class}`, decoding: 'async'});
    const who = NAMES[p.model] ? `${p.model} (${NAMES[p.model]})` : p.model;
    return element('figure', {}, img,
      element('figcaption', {}, element('code', {text: who}), element('br'),
        `${p.class}: ${percent(p.probability)}`));
  });
  const labels = sample.labels;
  const heading = `${labels.race} ${String(labels.gender).toLowerCase()}, ${labels.age}`;
  root.querySelector('.ex-view').replaceChildren(
    element('p', {class: 'ex-heading', text: `${heading} · ${method}`}),
    element('div', {class: 'ex-figures'}, ...figures),
    colourBar(index.display, signed, scale, shared));
}

async function start(root) {
  const status = root.querySelector('.ex-status');
  let index;
  try {
    const response = await fetch(INDEX);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    index = await response.json();
  } catch (error) {
    status.textContent = `The explorer could not load its data (${error.message}).`;
    return;
  }
  const choice = {face: 0, model: index.compared.length ? PAIR : Object.keys(index.models)[0],
    method: Object.keys(index.methods)[0], role: 'true'};
  const update = () => render(root, index, choice);
  const faces = index.samples.map((s, i) => [String(i),
    `${s.labels.race} ${String(s.labels.gender).toLowerCase()}, ${s.labels.age}`]);
  const models = [];
  if (index.compared.length) models.push([PAIR, 'race: balanced and Census-shaped, side by side']);
  for (const name of Object.keys(index.models)) if (!index.compared.includes(name)) models.push([name, name]);
  const [faceLabel, faceSelect] = select('Face', faces, (e) => { choice.face = Number(e.target.value); update(); });
  const [modelLabel] = select('Model', models, (e) => { choice.model = e.target.value; update(); });
  const [methodLabel] = select('Method', Object.entries(index.methods).map(([k, m]) => [k, m.title]),
    (e) => { choice.method = e.target.value; update(); });
  const [roleLabel] = select('Class explained', [['true', 'the true label'], ['predicted', 'the model’s own answer']],
    (e) => { choice.role = e.target.value; update(); });
  const step = (delta) => {
    choice.face = (choice.face + delta + index.samples.length) % index.samples.length;
    faceSelect.value = String(choice.face);
    update();
  };
  const previous = element('button', {type: 'button', 'aria-label': 'previous face', text: '←'});
  const next = element('button', {type: 'button', 'aria-label': 'next face', text: '→'});
  previous.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  root.querySelector('.ex-controls').replaceChildren(
    element('div', {class: 'ex-face'}, previous, faceLabel, next), modelLabel, methodLabel, roleLabel);
  status.textContent = '';
  update();
}

for (const root of document.querySelectorAll('.explorer')) start(root);
