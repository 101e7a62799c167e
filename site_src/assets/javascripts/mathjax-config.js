// MathJax 3 settings for pymdownx.arithmatex (generic mode): typeset only the formulas it marked.
// The context menu is off because its optional accessibility explorers would load parts of MathJax
// that the site does not vendor (the site makes no request it cannot serve itself).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
    enableMenu: false
  }
};
