/* A table or block that scrolls sideways inside its card must be reachable by keyboard (WCAG
   2.1.1): while it overflows it gets tabindex="0" and a region name taken from its section's
   heading, so arrow keys scroll it; when it fits again it stops being a tab stop. */
(function () {
  "use strict";
  var SELECTOR = ".table-wrap, article.doc table, article.doc pre";

  function regionName(element) {
    var section = element.closest("section, blockquote, article");
    var heading = section && section.querySelector("h2, h3, caption");
    return heading ? heading.textContent.trim() : "Scrollable table";
  }

  function update() {
    document.querySelectorAll(SELECTOR).forEach(function (element) {
      var scrolls = element.scrollWidth > element.clientWidth + 1 ||
                    element.scrollHeight > element.clientHeight + 1;
      var marked = element.dataset.scrollRegion === "1";
      if (scrolls && !marked) {
        element.dataset.scrollRegion = "1";
        element.setAttribute("tabindex", "0");
        if (!element.hasAttribute("role") && element.tagName !== "TABLE") {
          element.setAttribute("role", "region");
        }
        if (!element.hasAttribute("aria-label")) {
          element.setAttribute("aria-label", regionName(element));
        }
      } else if (!scrolls && marked) {
        delete element.dataset.scrollRegion;
        element.removeAttribute("tabindex");
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  });
  update();
})();
