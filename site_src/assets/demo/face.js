// Faces: find them with face-api's tiny detector and tiny 68-point landmark model, and align one like
// the training faces. The alignment rule is the one gen/face/align.py uses in Python: five points (the
// two eye centres, the nose tip, the two mouth corners, each the mean of the landmark indices the
// template names), a least-squares similarity transform (rotation, uniform scale, shift; Umeyama 1991)
// onto the template's target points (the median over UTKFace training faces, spread by a scale chosen on
// validation faces: models/analysis/face_template.json), then the crop of the template's side.

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

/**
 * Every face in an RGBA source {width, height, data}, largest first: {box: [x, y, w, h], score,
 * landmarks68, landmarks5}, in the photo's own pixels. The tiny detector misses many faces that fill
 * the picture (UTKFace's tight crops among them), so when it finds none, or a box touches the border, the
 * photo is padded (settings.pad of its longer side, grey) and searched again at the smaller
 * settings.padded_input_size, which suits a face that fills the photo.
 */
export async function detectFaces(faceapi, source, template, tight = false) {
  const settings = template.detector;
  let faces = tight ? [] : await detectOnce(faceapi, source, settings, 0, settings.input_size);
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

/**
 * Refine one face's alignment: warp the photo by the first estimate into the template's tight crop, find
 * the landmarks again there (upright and at the template's scale: the conditions the template was
 * measured in), map them back to the photo and estimate again. Returns {transform, landmarks5} (photo
 * pixels); `passes` times (the template's detector.refine_passes, default 1); the estimate so far when
 * a pass finds no face.
 */
export async function refineAlignment(faceapi, photo, face, template, passes = template.detector.refine_passes ?? 1) {
  let landmarks5 = face.landmarks5;
  let transform = alignment(landmarks5, template);
  const centre = template.crop_side / 2;
  const distance = ({ box: [x, y, w, h] }) => Math.hypot(x + w / 2 - centre, y + h / 2 - centre);
  const side = template.crop_side;
  for (let pass = 0; pass < passes; pass++) {
    const crop = alignedSource(photo, transform, side, 0);
    const again = (await detectFaces(faceapi, crop, template, true)).sort((p, q) => distance(p) - distance(q));
    if (!again.length) break;
    let points = again[0].landmarks5;
    if (template.mirror) { // average with the mirrored crop's points, mirrored back (left and right swap)
      const mirrored = (await detectFaces(faceapi, mirror(crop), template, true)).sort((p, q) => distance(p) - distance(q));
      if (mirrored.length) {
        points = points.map(([x, y], i) => {
          const [mx, my] = mirrored[0].landmarks5[template.mirror[i]];
          return [(x + side - mx) / 2, (y + my) / 2];
        });
      }
    }
    const back = invert(transform);
    landmarks5 = points.map((point) => apply(back, point));
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

/** An RGBA source flipped left to right. */
function mirror({ width, height, data }) {
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 4;
      out.set(data.subarray(from, from + 4), (y * width + width - 1 - x) * 4);
    }
  }
  return { width, height, data: out };
}

/**
 * The aligned face as an RGBA source: the photo warped by `transform` (photo -> crop pixels) into a
 * square of the crop side plus `margin` on every side (so the crop tool can still move and zoom out),
 * with grey outside the photo. A photo much larger than the crop is first shrunk with the browser's
 * high-quality filter, so the warp never skips pixels.
 */
export function alignedSource(photo, transform, side, margin, fill = 128) {
  const scale = Math.hypot(transform.a, transform.b);
  let image = new OffscreenCanvas(photo.width, photo.height);
  image.getContext('2d').putImageData(new ImageData(photo.data, photo.width, photo.height), 0, 0);
  let [fx, fy] = [1, 1];
  if (scale < 0.75) {
    const w = Math.max(1, Math.round(photo.width * scale));
    const h = Math.max(1, Math.round(photo.height * scale));
    const small = new OffscreenCanvas(w, h);
    const context = small.getContext('2d');
    context.imageSmoothingQuality = 'high';
    context.drawImage(image, 0, 0, w, h);
    [image, fx, fy] = [small, w / photo.width, h / photo.height];
  }
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
