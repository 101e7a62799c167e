// Faces: find them with face-api's tiny detector and tiny 68-point landmark model, and align one like
// the training faces. The alignment rule is the one gen/face/align.py uses in Python: five points (the
// two eye centres, the nose tip, the two mouth corners, each the mean of the landmark indices the
// template names), a least-squares similarity transform (rotation, uniform scale, shift; Umeyama 1991)
// onto the template's target points (the median over UTKFace training faces, spread by a scale chosen on
// validation faces: models/analysis/face_template.json), then the crop of the template's side. The first
// estimate comes from the landmarks the detector's pass finds; refineAlignment then finds them again in
// the aligned crop, where the face sits where training faces sit, inside the template's box.

/* global tf */

/** The five alignment points of one face: the mean of each landmark group named in the template. */
export function fivePoints(positions, groups) {
  return groups.map((indices) => {
    let x = 0;
    let y = 0;
    for (const i of indices) { x += positions[i][0]; y += positions[i][1]; }
    return [x / indices.length, y / indices.length];
  });
}

/**
 * The similarity transform {a, b, tx, ty} (x' = a x - b y + tx, y' = b x + a y + ty) that maps the
 * points `from` onto `to` with the least squared error (Umeyama's closed form in 2-D).
 */
export function similarity(from, to) {
  const n = from.length;
  const mean = (points, k) => points.reduce((s, p) => s + p[k], 0) / n;
  const [fx, fy, tx, ty] = [mean(from, 0), mean(from, 1), mean(to, 0), mean(to, 1)];
  let norm = 0;
  let dot = 0;
  let cross = 0;
  for (let i = 0; i < n; i++) {
    const [x, y] = [from[i][0] - fx, from[i][1] - fy];
    const [u, v] = [to[i][0] - tx, to[i][1] - ty];
    norm += x * x + y * y;
    dot += x * u + y * v;
    cross += x * v - y * u;
  }
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export function apply({ a, b, tx, ty }, [x, y]) {
  return [a * x - b * y + tx, b * x + a * y + ty];
}

export function invert({ a, b, tx, ty }) {
  const d = a * a + b * b;
  const [ia, ib] = [a / d, -b / d];
  return { a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty) };
}

/** The template's five target points in pixels of a crop of `side` (stored as fractions of the side). */
export function templatePoints(template, side = template.crop_side) {
  return template.target.map(([x, y]) => [x * side, y * side]);
}

/** Photo -> aligned crop pixels (side = the template's crop side) for one detected face. */
export function alignment(landmarks5, template) {
  return similarity(landmarks5, templatePoints(template));
}

const canvases = new WeakMap(); // photo -> the photo on a canvas, drawn once (detection and each alignment use it)

/** The photo on a canvas: as it is, or shrunk by `scale` (< 1) with the browser's high-quality filter. */
function photoCanvas(photo, scale = 1) {
  const { width, height, data } = photo;
  let image = canvases.get(photo);
  if (!image) {
    image = new OffscreenCanvas(width, height);
    image.getContext('2d').putImageData(new ImageData(data, width, height), 0, 0);
    canvases.set(photo, image);
  }
  if (scale >= 1) return image;
  const small = new OffscreenCanvas(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
  const context = small.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, small.width, small.height);
  return small;
}

async function detectOnce(faceapi, source, settings, pad, inputSize) {
  const { width, height, data } = source;
  const input = tf.tidy(() => {
    const rgb = tf.browser.fromPixels(new ImageData(data, width, height)).toFloat();
    return pad ? rgb.pad([[pad, pad], [pad, pad], [0, 0]], settings.pad_value) : rgb;
  });
  try {
    const options = new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: settings.score_threshold });
    const found = await faceapi.detectAllFaces(input, options).withFaceLandmarks(true);
    return found.map(({ detection, landmarks }) => ({
      box: [detection.box.x - pad, detection.box.y - pad, detection.box.width, detection.box.height],
      score: detection.score,
      landmarks68: landmarks.positions.map((p) => [p.x - pad, p.y - pad]),
    }));
  } finally {
    input.dispose();
  }
}

/** detectOnce on a photo larger than the detector's input, shrunk to it first (the detector would shrink it
 * anyway, after copying it whole into a tensor); boxes and landmarks in the photo's own pixels. */
async function detectShrunk(faceapi, source, settings) {
  const scale = settings.input_size / Math.max(source.width, source.height);
  if (scale >= 1) return detectOnce(faceapi, source, settings, 0, settings.input_size);
  const canvas = photoCanvas(source, scale);
  const small = { width: canvas.width, height: canvas.height,
    data: canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data };
  const [fx, fy] = [source.width / small.width, source.height / small.height];
  const found = await detectOnce(faceapi, small, settings, 0, settings.input_size);
  return found.map(({ box: [x, y, w, h], score, landmarks68 }) => ({
    box: [x * fx, y * fy, w * fx, h * fy], score, landmarks68: landmarks68.map(([lx, ly]) => [lx * fx, ly * fy]),
  }));
}

/**
 * Every face in an RGBA source {width, height, data}, largest first: {box: [x, y, w, h], score,
 * landmarks68, landmarks5}, in the photo's own pixels. The tiny detector misses many faces that fill
 * the picture (UTKFace's tight crops among them), so when it finds none, or a box touches the border, the
 * photo is padded (settings.pad of its longer side, grey) and searched again at the smaller
 * settings.padded_input_size, which suits a face that fills the photo.
 */
export async function detectFaces(faceapi, source, template, tight = false) {
  const settings = template.detector;
  let faces = tight ? [] : await detectShrunk(faceapi, source, settings);
  const margin = settings.border * Math.max(source.width, source.height);
  const touches = ([x, y, w, h]) => x < margin || y < margin || x + w > source.width - margin || y + h > source.height - margin;
  if (!faces.length || faces.some((face) => touches(face.box))) {
    const pad = Math.round(settings.pad * Math.max(source.width, source.height));
    const padded = await detectOnce(faceapi, source, settings, pad, settings.padded_input_size);
    if (padded.length >= faces.length) faces = padded;
  }
  const area = ({ box }) => box[2] * box[3];
  return faces.sort((p, q) => area(q) - area(p))
    .map((face) => ({ ...face, landmarks5: fivePoints(face.landmarks68, template.groups) }));
}

/** The 68 landmarks of the face inside `box` [x, y, w, h] (whole pixels of `source`, inside it), with no
 * detector, found in the box and in its mirror image: [upright, mirrored], the mirrored points in the pixels of
 * the mirrored source (the box's content flipped left to right is the mirrored box's content). */
async function landmarksInBox(faceapi, source, box) {
  const input = tf.browser.fromPixels(new ImageData(source.data, source.width, source.height));
  const [face] = await faceapi.extractFaceTensors(input, [new faceapi.Rect(...box)]);
  input.dispose();
  const flipped = tf.reverse(face, 1);
  try {
    const [upright, mirrored] = await faceapi.nets.faceLandmark68TinyNet.detectLandmarks([face, flipped]);
    const mirroredX = source.width - box[0] - box[2];
    return [upright.positions.map((p) => [p.x + box[0], p.y + box[1]]),
      mirrored.positions.map((p) => [p.x + mirroredX, p.y + box[1]])];
  } finally {
    face.dispose();
    flipped.dispose();
  }
}

/**
 * Refine one face's alignment: warp the photo by the first estimate into the template's crop, find the
 * landmarks again there (upright and at the template's scale: the conditions the template was measured in)
 * inside the template's box (where the detector puts the face in an aligned crop, measured on the
 * training faces: no detector needed), average them with the mirrored crop's, map them back to the photo
 * and estimate again. Returns {transform, landmarks5} (photo pixels); `passes` times (the template's
 * detector.refine_passes).
 */
export async function refineAlignment(faceapi, photo, face, template, passes = template.detector.refine_passes) {
  let landmarks5 = face.landmarks5;
  let transform = alignment(landmarks5, template);
  const side = template.crop_side;
  const [bx, by, bw, bh] = template.refine_box.map((v) => Math.round(v * side));
  const margin = Math.max(0, -bx, -by, bx + bw - side, by + bh - side); // the box may reach past the crop
  const box = [bx + margin, by + margin, bw, bh];
  const inCrop = (points) => fivePoints(points, template.groups).map(([x, y]) => [x - margin, y - margin]);
  for (let pass = 0; pass < passes; pass++) {
    const [upright, flipped] = await landmarksInBox(faceapi, alignedSource(photo, transform, side, margin), box);
    const [points, mirrored] = [inCrop(upright), inCrop(flipped)];
    const averaged = points.map(([x, y], i) => { // the mirrored crop's points, mirrored back (left and right swap)
      const [mx, my] = mirrored[template.mirror[i]];
      return [(x + side - mx) / 2, (y + my) / 2];
    });
    const back = invert(transform);
    landmarks5 = averaged.map((point) => apply(back, point));
    transform = alignment(landmarks5, template);
  }
  return { transform, landmarks5 };
}

/** The share of the aligned crop (side x side under `transform`) that lies outside the photo: a face cut by
 * the photo's edge leaves part of its crop empty (grey). Sampled on a 32 x 32 grid of pixel centres. */
export function outsideShare(photo, transform, side, grid = 32) {
  const back = invert(transform);
  let outside = 0;
  for (let i = 0; i < grid; i++) {
    for (let j = 0; j < grid; j++) {
      const [x, y] = apply(back, [((j + 0.5) / grid) * side, ((i + 0.5) / grid) * side]);
      if (x < 0 || y < 0 || x > photo.width || y > photo.height) outside++;
    }
  }
  return outside / (grid * grid);
}

/**
 * The aligned face as an RGBA source: the photo warped by `transform` (photo -> crop pixels) into a
 * square of the crop side plus `margin` on every side (so the crop tool can still move and zoom out),
 * with grey outside the photo. A photo much larger than the crop is first shrunk with the browser's
 * high-quality filter, so the warp never skips pixels.
 */
export function alignedSource(photo, transform, side, margin, fill = 128) {
  const scale = Math.hypot(transform.a, transform.b);
  const image = photoCanvas(photo, scale < 0.75 ? scale : 1);
  const [fx, fy] = [image.width / photo.width, image.height / photo.height];
  const full = side + 2 * margin;
  const canvas = new OffscreenCanvas(full, full);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.fillStyle = `rgb(${fill}, ${fill}, ${fill})`;
  context.fillRect(0, 0, full, full);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  const { a, b, tx, ty } = transform;
  context.setTransform(a / fx, b / fx, -b / fy, a / fy, tx + margin, ty + margin);
  context.drawImage(image, 0, 0);
  context.setTransform(1, 0, 0, 1, 0, 0);
  return { width: full, height: full, data: context.getImageData(0, 0, full, full).data, notes: [...(photo.notes || [])] };
}
