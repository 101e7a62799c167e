// A square crop over the visitor's photo: drag to move, wheel / pinch / slider / keys to zoom.
//
// The model input is the whole square, resized to the models' input size, exactly as a UTKFace crop was. UTKFace
// crops are tight and aligned, so the guide marks where faces sit in them; the positions were measured
// on the mean of the 22,142 decoded training-size faces: eyes at (0.29, 0.29) and (0.70, 0.29) of the
// side, mouth at 0.70 down, the face filling most of the square.
export const GUIDE = { eyes: [[0.29, 0.29], [0.70, 0.29]], mouthY: 0.70, oval: [0.5, 0.5, 0.40, 0.52] };

export class CropTool {
  /** `canvas` shows the crop; `onChange(box)` is called (at most once a frame) when the box moves. */
  constructor(canvas, zoomInput, onChange) {
    this.canvas = canvas;
    this.zoomInput = zoomInput;
    this.onChange = onChange;
    this.source = null;
    this.box = null; // {x, y, side} in source pixels
    this.pointers = new Map();
    this.pending = false;
  }

  /** Listen to the canvas and the zoom slider (separate from construction, so nothing happens early). */
  attach() {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => { c.setPointerCapture(e.pointerId); this.pointers.set(e.pointerId, e); });
    c.addEventListener('pointermove', (e) => this.pointerMove(e));
    const release = (e) => this.pointers.delete(e.pointerId);
    c.addEventListener('pointerup', release);
    c.addEventListener('pointercancel', release);
    c.addEventListener('wheel', (e) => { e.preventDefault(); this.zoomBy(Math.exp(e.deltaY * 0.002)); }, { passive: false });
    c.addEventListener('keydown', (e) => this.key(e));
    this.zoomInput.addEventListener('input', () => this.setSide(this.sideFromSlider()));
  }

  /** Show a new source with the square `box` ({x, y, side}), or else its largest centred square. */
  load(source, minSide, box = null) {
    this.source = source;
    this.minSide = minSide;
    this.maxSide = Math.min(source.width, source.height);
    this.box = box ? { ...box } : { x: (source.width - this.maxSide) / 2, y: (source.height - this.maxSide) / 2, side: this.maxSide };
    this.image = new OffscreenCanvas(source.width, source.height);
    this.image.getContext('2d').putImageData(new ImageData(source.data, source.width, source.height), 0, 0);
    this.zoomInput.disabled = this.maxSide <= minSide;
    this.syncSlider();
    this.changed();
  }

  sideFromSlider() {
    const t = Number(this.zoomInput.value) / Number(this.zoomInput.max);
    return this.maxSide * Math.pow(this.minSide / this.maxSide, t); // zoom is geometric
  }

  syncSlider() {
    const t = Math.log(this.box.side / this.maxSide) / Math.log(this.minSide / this.maxSide);
    this.zoomInput.value = String(Math.round((Number.isFinite(t) ? t : 0) * Number(this.zoomInput.max)));
  }

  setSide(side) {
    if (!this.box) return;
    const clamped = Math.min(this.maxSide, Math.max(this.minSide, side));
    const cx = this.box.x + this.box.side / 2;
    const cy = this.box.y + this.box.side / 2;
    this.box = { x: cx - clamped / 2, y: cy - clamped / 2, side: clamped };
    this.changed();
  }

  zoomBy(factor) {
    if (!this.box) return;
    this.setSide(this.box.side * factor);
    this.syncSlider();
  }

  moveBy(dx, dy) {
    if (!this.box) return;
    this.box = { ...this.box, x: this.box.x + dx, y: this.box.y + dy };
    this.changed();
  }

  pointerMove(event) {
    const previous = this.pointers.get(event.pointerId);
    if (!previous || !this.box) return;
    const perPixel = this.box.side / this.canvas.getBoundingClientRect().width;
    if (this.pointers.size === 1) {
      this.moveBy(-(event.clientX - previous.clientX) * perPixel, -(event.clientY - previous.clientY) * perPixel);
    } else if (this.pointers.size === 2) {
      const other = [...this.pointers.values()].find((p) => p.pointerId !== event.pointerId);
      const before = Math.hypot(previous.clientX - other.clientX, previous.clientY - other.clientY);
      const after = Math.hypot(event.clientX - other.clientX, event.clientY - other.clientY);
      if (before > 0 && after > 0) this.zoomBy(before / after);
    }
    this.pointers.set(event.pointerId, event);
  }

  key(event) {
    const step = this.box ? this.box.side * 0.05 : 0;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) this.moveBy(...moves[event.key]);
    else if (event.key === '+' || event.key === '=') this.zoomBy(1 / 1.1);
    else if (event.key === '-') this.zoomBy(1.1);
    else return;
    event.preventDefault();
  }

  /** Keep the box inside the photo, redraw, and tell the page once per animation frame. */
  changed() {
    const { width, height } = this.source;
    const side = this.box.side;
    this.box.x = Math.min(Math.max(this.box.x, 0), width - side);
    this.box.y = Math.min(Math.max(this.box.y, 0), height - side);
    this.draw();
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.onChange(this.box); });
  }

  draw() {
    const c = this.canvas;
    const context = c.getContext('2d');
    const { x, y, side } = this.box;
    context.imageSmoothingQuality = 'high';
    context.drawImage(this.image, x, y, side, side, 0, 0, c.width, c.height);
    drawGuide(context, c.width);
  }
}

/** The face guide: an oval, the eye line and the mouth line where UTKFace crops put them. */
export function drawGuide(context, size) {
  const [cx, cy, rx, ry] = GUIDE.oval;
  context.save();
  context.lineWidth = Math.max(1.5, size / 160);
  context.setLineDash([size / 40, size / 60]);
  context.strokeStyle = 'rgba(255, 255, 255, 0.85)';
  context.shadowColor = 'rgba(0, 0, 0, 0.6)';
  context.shadowBlur = 2;
  context.beginPath();
  context.ellipse(cx * size, cy * size, rx * size, ry * size, 0, 0, 2 * Math.PI);
  context.stroke();
  context.setLineDash([]);
  for (const [ex, ey] of GUIDE.eyes) {
    context.beginPath();
    context.arc(ex * size, ey * size, size / 28, 0, 2 * Math.PI);
    context.stroke();
  }
  context.beginPath();
  context.moveTo(0.38 * size, GUIDE.mouthY * size);
  context.lineTo(0.62 * size, GUIDE.mouthY * size);
  context.stroke();
  context.restore();
}
