// Drawing: heatmaps over the face with the article's own matplotlib colour maps (inferno for unsigned
// maps, RdBu_r for signed ones; 256-entry lookup tables exported by the build into colormaps.json),
// the model input, and the detected faces over the photo.

/** The value of |map| at `quantile` over several maps: one colour scale for maps shown side by side
 * (the article uses the 99th percentile, gen/explain/display.py PERCENTILE). */
export function sharedScale(maps, quantile = 0.99) {
  let values = [];
  for (const { map } of maps) values = values.concat(Array.from(map, Math.abs));
  if (!values.length) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(quantile * (values.length - 1)))];
}

/** Bilinear resize of an h x w map to n x n (pixel centres aligned, edges clamped, as Pillow upsamples). */
function resizeMap(map, h, w, n) {
  const axis = (size) => { // per output row or column: the two source indices and the weight of the second
    const [first, second, weight] = [new Int32Array(n), new Int32Array(n), new Float32Array(n)];
    for (let o = 0; o < n; o++) {
      const s = Math.min(Math.max((o + 0.5) * (size / n) - 0.5, 0), size - 1);
      const i = Math.min(Math.floor(s), Math.max(size - 2, 0));
      [first[o], second[o], weight[o]] = [i, Math.min(i + 1, size - 1), s - i];
    }
    return { first, second, weight };
  };
  const rows = axis(h);
  const columns = axis(w);
  const out = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const top = rows.first[r] * w;
    const bottom = rows.second[r] * w;
    const fy = rows.weight[r];
    for (let c = 0; c < n; c++) {
      const x0 = columns.first[c];
      const x1 = columns.second[c];
      const fx = columns.weight[c];
      const upper = map[top + x0] * (1 - fx) + map[top + x1] * fx;
      const lower = map[bottom + x0] * (1 - fx) + map[bottom + x1] * fx;
      out[r * n + c] = upper * (1 - fy) + lower * fy;
    }
  }
  return out;
}

/**
 * Draw `image` (a canvas of the crop) with a heatmap over it onto the square `canvas`, as the article's
 * overlay does: the map divided by `scale` and clipped to [0, 1] ([-1, 1] when signed), resized, coloured
 * through the lookup table, and blended with opacity 0.75 |value|, so places without evidence show the face.
 */
export function drawHeatmap(canvas, image, { map, h, w }, scale, colormaps, signed = false, strength = 0.75) {
  const n = canvas.width;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, n, n);
  const pixels = context.getImageData(0, 0, n, n);
  const table = colormaps[signed ? colormaps.signed : colormaps.unsigned];
  const values = resizeMap(map, h, w, n);
  const low = signed ? -1 : 0;
  const { data } = pixels;
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(1, Math.max(low, scale > 0 ? values[i] / scale : 0));
    const entry = table[Math.round(255 * (signed ? (v + 1) / 2 : v))];
    const alpha = strength * Math.abs(v);
    const j = i * 4;
    data[j] = Math.round((1 - alpha) * data[j] + alpha * entry[0]);
    data[j + 1] = Math.round((1 - alpha) * data[j + 1] + alpha * entry[1]);
    data[j + 2] = Math.round((1 - alpha) * data[j + 2] + alpha * entry[2]);
  }
  context.putImageData(pixels, 0, 0);
}

/** The model input (size x size RGB) as a canvas, and drawn unsmoothed onto `target`. */
export function drawInput(target, rgb, size) {
  const small = new OffscreenCanvas(size, size);
  const pixels = small.getContext('2d').createImageData(size, size);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) pixels.data.set([rgb[i], rgb[i + 1], rgb[i + 2], 255], j);
  small.getContext('2d').putImageData(pixels, 0, 0);
  const context = target.getContext('2d');
  context.imageSmoothingEnabled = false; // show the pixels the models get, unsmoothed
  context.drawImage(small, 0, 0, target.width, target.height);
  return small;
}

/** The photo with a numbered box per face (the chosen one thicker); returns the scale used. */
export function drawFaces(canvas, photo, faces, chosen) {
  const scale = Math.min(canvas.width / photo.width, canvas.height / photo.height);
  canvas.height = Math.round(photo.height * scale);
  const context = canvas.getContext('2d');
  const image = new OffscreenCanvas(photo.width, photo.height);
  image.getContext('2d').putImageData(new ImageData(photo.data, photo.width, photo.height), 0, 0);
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  faces.forEach(({ box: [x, y, w, h] }, i) => {
    context.lineWidth = i === chosen ? 4 : 2;
    context.strokeStyle = i === chosen ? '#ffd400' : '#ffffff';
    context.setLineDash(i === chosen ? [] : [6, 4]);
    context.strokeRect(x * scale, y * scale, w * scale, h * scale);
    context.setLineDash([]);
    context.font = 'bold 16px sans-serif';
    context.fillStyle = '#000000';
    context.fillRect(x * scale, y * scale - 20, 20, 20);
    context.fillStyle = '#ffffff';
    context.fillText(String(i + 1), x * scale + 5, y * scale - 4);
  });
  return scale;
}
