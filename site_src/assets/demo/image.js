// Turning a visitor's file into the pixels the models expect, on the device.
//
// Why the care: the models were trained on UTKFace crops resized with Pillow's antialiased bilinear
// filter (gen/data/images.py). A browser canvas resizes differently, and a 64 x 64 model notices, so
// `resampleSquare` reproduces Pillow's resampling (same filter, same fixed-point rounding, same two
// passes) and a curated sample gets the pixels Python gave it.

export const MAX_FILE_BYTES = 50 * 1024 * 1024; // larger files are refused before decoding
export const MAX_SIDE = 2048; // decoded photos are shrunk to this before anything else touches them
const DECODE_TIMEOUT_MS = 20000;

/** An input problem with a message meant for the visitor. */
export class InputError extends Error {}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new InputError(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(file) {
  return `“${file.name || 'the file'}”`;
}

/**
 * Decode a File or Blob into an RGB source: {width, height, data: Uint8ClampedArray RGBA, notes}.
 * EXIF orientation is applied, photos larger than MAX_SIDE are shrunk while decoding, transparency is
 * flattened onto white, and every refusal is an InputError whose message says what to do instead.
 */
export async function decodeImage(file, minSide) {
  if (file.size === 0) throw new InputError(`${describe(file)} is empty.`);
  if (file.size > MAX_FILE_BYTES) {
    throw new InputError(`${describe(file)} is ${(file.size / 1048576).toFixed(0)} MB; please choose a photo under ${MAX_FILE_BYTES / 1048576} MB.`);
  }
  const looksLikeImage = !file.type || file.type.startsWith('image/');
  if (file.type === 'image/svg+xml') throw new InputError(`${describe(file)} is a drawing (SVG), not a photo.`);
  let bitmap;
  try {
    bitmap = await withTimeout(
      createImageBitmap(file, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' }),
      DECODE_TIMEOUT_MS, `${describe(file)} took too long to decode.`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(looksLikeImage
      ? `${describe(file)} could not be decoded: the file may be damaged or incomplete, or in a format this browser cannot read.`
      : `${describe(file)} is not an image (${file.type || 'unknown type'}). Choose a JPEG, PNG or WebP photo.`);
  }
  const notes = [];
  const { width, height } = bitmap;
  if (Math.min(width, height) < minSide) {
    bitmap.close();
    throw new InputError(`${describe(file)} is only ${width} × ${height} pixels; the models need a face at least ${minSide} × ${minSide} pixels.`);
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = Math.max(minSide, Math.round(width * scale));
  const h = Math.max(minSide, Math.round(height * scale));
  if (scale < 1) {
    notes.push(`The ${(width * height / 1e6).toFixed(1)}-megapixel photo was shrunk to ${w} × ${h} on your device.`);
  }
  const source = readPixels(bitmap, w, h, notes);
  bitmap.close();
  return source;
}

/** An RGBA source {width, height, data, notes} from anything drawable (a bitmap, a video frame). */
export function readPixels(drawable, width, height, notes = []) {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingQuality = 'high';
  context.drawImage(drawable, 0, 0, width, height);
  const { data } = context.getImageData(0, 0, width, height);
  if (flattenOntoWhite(data)) notes.push('Transparent parts of the image were filled with white.');
  return { width, height, data, notes };
}

/** Composite RGBA pixels onto white in place (the models take RGB); true if any were transparent. */
function flattenOntoWhite(data) {
  let transparent = false;
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3];
    if (alpha === 255) continue;
    transparent = true;
    const keep = alpha / 255;
    for (let c = 0; c < 3; c++) data[i + c] = Math.round(data[i + c] * keep + 255 * (1 - keep));
    data[i + 3] = 255;
  }
  return transparent;
}

/** True when every pixel's R, G and B agree to within `tolerance` (a black-and-white photo). */
export function isGrayscale(rgb, tolerance = 6) {
  for (let i = 0; i < rgb.length; i += 3) {
    if (Math.abs(rgb[i] - rgb[i + 1]) > tolerance || Math.abs(rgb[i] - rgb[i + 2]) > tolerance) return false;
  }
  return true;
}

// ---- Pillow's BILINEAR resampling (ImagingResample), for uint8 images ----
const PRECISION_BITS = 22; // Pillow's fixed-point precision for 8-bit images

function triangle(x) {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Per output index: first input index and integer weights, as Pillow's precompute_coeffs does. */
function coefficients(inSize, start, end, outSize) {
  const scale = (end - start) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the bilinear filter's support is 1, widened when shrinking
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const real = new Float64Array(taps);
  for (let o = 0; o < outSize; o++) {
    const center = start + (o + 0.5) * scale;
    let lo = Math.trunc(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.trunc(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    const n = hi - lo;
    let total = 0;
    for (let k = 0; k < n; k++) {
      real[k] = triangle((k + lo - center + 0.5) / filterScale);
      total += real[k];
    }
    for (let k = 0; k < n; k++) {
      const w = total ? real[k] / total : 0;
      weights[o * taps + k] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, taps };
}

function clip8(value) {
  const v = Math.floor(value / (1 << PRECISION_BITS)); // Pillow shifts right: floor division
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * RGB Uint8Array (size * size * 3) of the square box (x, y, side) of an RGBA source, resampled like
 * Pillow's Image.resize(size, BILINEAR, box): horizontal pass, round to 8 bits, then vertical pass.
 */
export function resampleSquare(source, x, y, side, size) {
  const { width, data } = source;
  const horizontal = coefficients(width, x, x + side, size);
  const vertical = coefficients(source.height, y, y + side, size);
  const rowStart = vertical.first[0];
  const rowEnd = vertical.first[size - 1] + vertical.count[size - 1];
  const rows = rowEnd - rowStart;
  const middle = new Uint8Array(rows * size * 3); // the horizontally resampled rows that are needed
  const half = 1 << (PRECISION_BITS - 1);
  for (let r = 0; r < rows; r++) {
    const base = (r + rowStart) * width * 4;
    for (let o = 0; o < size; o++) {
      const lo = horizontal.first[o];
      const offset = o * horizontal.taps;
      let red = half, green = half, blue = half;
      for (let k = 0; k < horizontal.count[o]; k++) {
        const w = horizontal.weights[offset + k];
        const p = base + (lo + k) * 4;
        red += data[p] * w; green += data[p + 1] * w; blue += data[p + 2] * w;
      }
      const q = (r * size + o) * 3;
      middle[q] = clip8(red); middle[q + 1] = clip8(green); middle[q + 2] = clip8(blue);
    }
  }
  const out = new Uint8Array(size * size * 3);
  for (let o = 0; o < size; o++) {
    const lo = vertical.first[o] - rowStart;
    const offset = o * vertical.taps;
    for (let c = 0; c < size; c++) {
      let red = half, green = half, blue = half;
      for (let k = 0; k < vertical.count[o]; k++) {
        const w = vertical.weights[offset + k];
        const p = ((lo + k) * size + c) * 3;
        red += middle[p] * w; green += middle[p + 1] * w; blue += middle[p + 2] * w;
      }
      const q = (o * size + c) * 3;
      out[q] = clip8(red); out[q + 1] = clip8(green); out[q + 2] = clip8(blue);
    }
  }
  return out;
}
