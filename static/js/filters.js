/* The filter bar: Tom Select (static/vendor/tom-select/) turns the project and organisation
   <select>s marked data-searchable into pickers one can type into; without JavaScript they
   stay plain selects that submit the same query. The project picker of a project page
   (data-navigates) applies at once: the server sends the choice to that project's page.
   No inline JS; Tom Select styles only through the CSSOM, which the CSP allows.
   hidePlaceholder stays off: with it, leaving a multi picker hides its text box mid-click,
   and the first click on Apply after picking a project does nothing. */
(function () {
  "use strict";
  if (typeof window.TomSelect !== "function") { return; }
  document.querySelectorAll("form.filters select[data-searchable]").forEach(function (select) {
    var multiple = select.multiple;
    var picker = new window.TomSelect(select, {
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: null,
      placeholder: select.getAttribute("data-placeholder") || "",
      allowEmptyOption: !multiple,
      closeAfterSelect: !multiple,
      onItemAdd: function () {
        if (multiple) { this.setTextboxValue(""); this.refreshOptions(false); }
      }
    });
    if (select.hasAttribute("data-navigates")) {
      picker.on("change", function () { select.form.requestSubmit(); });
    }
  });
})();
