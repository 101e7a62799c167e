// TeX -> SVG at build time (gen/site/formulas.py runs this once per build, from node_modules).
// stdin: a JSON list of {"tex": "...", "display": true|false}; stdout: a JSON list, in the same order, of
// {"svg": "<svg ...>...</svg>"} or {"error": "MathJax's message"}. Each SVG stands alone (fontCache
// 'none': its glyphs are paths inside it, no ids shared between formulas) and carries MathJax's own
// vertical-align style, so an inline formula sits on the text's baseline. TeX errors are reported, not
// drawn in red: the noerrors and noundefined packages are left out and formatError rethrows.
'use strict';

const mathjax = require('mathjax');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function main() {
  const formulas = JSON.parse(await readStdin());
  const MathJax = await mathjax.init({
    loader: { load: ['input/tex', 'output/svg'] },
    tex: {
      packages: { '[-]': ['noerrors', 'noundefined'] },
      formatError: (_jax, error) => { throw error; },
    },
    svg: { fontCache: 'none' },
    startup: { typeset: false },
  });
  const adaptor = MathJax.startup.adaptor;
  const results = [];
  for (const { tex, display } of formulas) {
    try {
      const container = await MathJax.tex2svgPromise(tex, { display });
      const svg = adaptor.outerHTML(adaptor.firstChild(container));
      results.push({ svg: svg.replace(/ data-[\w-]+="[^"]*"/g, '') }); // MathJax's bookkeeping, unused here
    } catch (error) {
      results.push({ error: String(error && error.message ? error.message : error) });
    }
    MathJax.startup.document.clear(); // one formula at a time: nothing accumulates in MathJax's document
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`tex2svg: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
