// One small DOM helper shared by the page's scripts (the Try-it page and the heatmap explorer).

/** A new element: `attributes` become attributes, except `class` (its class name) and `text` (its text). */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}
