// Typesets the lessons' formulas with the copy of MathJax 3 that ships with the site (tools/site.py copies it next to
// this file). mkdocs-jupyter also writes MathJax 2's in-line configuration into each page; MathJax 3 ignores it.
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
  },
};
const mathjax = document.createElement("script");
mathjax.src = new URL("tex-chtml.js", document.currentScript.src).href;
mathjax.async = true;
document.head.appendChild(mathjax);
