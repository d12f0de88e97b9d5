// Starts Redoc from a file, as a strict CSP allows no inline script (templates/api/redoc.html).
// Redoc's styled-components add <style> elements at run time; they carry the page's CSP
// nonce, which the page's style-src admits for this page only (recommendations/api_urls.py).
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: container.dataset.nonce }, container);
})();
