/* Main navigation at narrow widths: a Menu button shows and hides the links (pulse.css hides
   them only once this script has marked the header, so without JavaScript they stay visible).
   Escape closes the menu and gives focus back to the button. No inline JS. */
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  var button = header && header.querySelector("button.nav-toggle");
  var nav = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!nav) { return; }

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("nav-open", open);
  }

  setOpen(false);
  header.classList.add("nav-ready");
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
