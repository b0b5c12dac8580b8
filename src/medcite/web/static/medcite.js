// medcite: small progressive enhancements; every page works without this file.
// - Ask forms say that the answer is being prepared (a status message, WCAG 4.1.3) and
//   cannot be sent twice while it is.
// Text is set with textContent only, never as HTML.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var status = form.querySelector(".busy");
      if (status) {
        status.textContent = form.getAttribute("data-busy");
      }
      var button = form.querySelector("button[type=submit]");
      if (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });
});
