// A plain form (method="post", not sent by htmx) is marked busy once it is submitted: its submit
// buttons are disabled and the form carries aria-busy="true" until the next page arrives, so a
// second tap does nothing visible to wonder about (the form's one-time key already makes a second
// request save nothing). The clicked button's name and value still reach the server: a disabled
// button sends nothing, so they go in a hidden input. A page brought back by the back button is
// made usable again. Everything works without this script.
(function () {
  "use strict";

  var HTMX_VERBS = ["hx-post", "hx-put", "hx-patch", "hx-delete", "hx-get"];
  var ADDED = "data-busy-submitter";

  function sentByHtmx(form) {
    for (var i = 0; i < HTMX_VERBS.length; i++) {
      if (form.hasAttribute(HTMX_VERBS[i])) { return true; }
    }
    var boosted = form.closest("[hx-boost]");
    return Boolean(boosted && boosted.getAttribute("hx-boost") === "true");
  }

  // Read from the attributes: form.method and form.target would be a field of that name where the
  // form has one (the payment form's "method").
  function method(form, submitter) {
    var value = submitter && submitter.hasAttribute("formmethod") ? submitter.getAttribute("formmethod") : form.getAttribute("method");
    return (value || "get").toLowerCase();
  }

  function target(form, submitter) {
    var value = submitter && submitter.hasAttribute("formtarget") ? submitter.getAttribute("formtarget") : form.getAttribute("target");
    return (value || "").toLowerCase();
  }

  function submitButtons(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.type === "submit" || element.type === "image";
    });
  }

  function markBusy(form, submitter) {
    if (submitter && submitter.name && submitter.type === "submit") {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      carried.setAttribute(ADDED, "");
      form.appendChild(carried);
    }
    submitButtons(form).forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.setAttribute("data-busy-disabled", "");
      }
    });
    form.setAttribute("aria-busy", "true");
  }

  function markIdle(form) {
    form.querySelectorAll("[" + ADDED + "]").forEach(function (carried) { carried.remove(); });
    submitButtons(form).forEach(function (button) {
      if (button.hasAttribute("data-busy-disabled")) {
        button.disabled = false;
        button.removeAttribute("data-busy-disabled");
      }
    });
    form.removeAttribute("aria-busy");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (event.defaultPrevented || sentByHtmx(form)) { return; }
    var submitter = event.submitter || null;
    if (method(form, submitter) !== "post") { return; }
    var where = target(form, submitter);
    if (where && where !== "_self") { return; }  // the answer opens elsewhere: this page stays usable
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();  // already on its way (Enter pressed again, a script's requestSubmit)
      return;
    }
    markBusy(form, submitter);
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[aria-busy='true']").forEach(markIdle);
  });
}());
