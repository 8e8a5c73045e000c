// Tell require.js that the Jupyter widget manager lives on this site (<root>/html-manager/),
// so the fonts and modules it asks for load from here, never from a CDN.
(function () {
  var root = document.currentScript.src.replace(/requirejs\/widgets-config\.js.*$/, "");
  require.config({ paths: {
    "@jupyter-widgets/html-manager/dist": root + "html-manager",
    "@jupyter-widgets": root + "html-manager",   // the controls' fonts (icons on buttons) live there too
  } });
})();

// The widget manager typesets with MathJax 2's API (MathJax.Hub.Queue); the site serves
// MathJax 3. Deferred MathJax has run by DOMContentLoaded, so add the one call it needs then.
document.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (mj && mj.typesetPromise && !mj.Hub) {
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : undefined;
        return mj.typesetPromise(element ? [element] : undefined);
      },
    };
  }
});
