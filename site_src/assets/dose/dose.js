// The bias-dose slider of "Why look inside a face classifier": every dose's panel is in the page (without
// JavaScript they all show, one under the other); the slider shows one at a time. Hidden panels' pictures
// are lazy, so only the shown dose's pictures load.

const root = document.querySelector('.dose-slider');
if (root) {
  const slider = root.querySelector('input[type="range"]');
  const value = root.querySelector('.dose-value');
  const panels = [...root.querySelectorAll('.dose-panel')];
  const show = () => {
    panels.forEach((panel, i) => { panel.hidden = i !== Number(slider.value); });
    value.textContent = panels[Number(slider.value)].dataset.dose;
    slider.setAttribute('aria-valuetext', `dose ${value.textContent}`);
  };
  slider.hidden = false;
  slider.addEventListener('input', show);
  show();
}
