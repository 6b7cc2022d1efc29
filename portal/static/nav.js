// The header: one menu of the main navigation open at a time (closed by Escape or a click outside),
// and the search box (focused by "/" or Ctrl+K; Enter opens the first result, arrow keys move
// through the results). Everything works without this script, only less conveniently.
(function () {
  "use strict";

  function groups() {
    return document.querySelectorAll(".mainnav details.navgroup");
  }

  function closeGroups(except) {
    groups().forEach(function (group) {
      if (group !== except) { group.open = false; }
    });
  }

  function searchBox() {
    return document.getElementById("quicksearch");
  }

  function resultLinks() {
    var box = document.getElementById("quicksearch-results");
    return box ? Array.prototype.slice.call(box.querySelectorAll("a.result")) : [];
  }

  function clearResults() {
    var box = document.getElementById("quicksearch-results");
    if (box) { box.innerHTML = ""; }
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("toggle", function (event) {
    var group = event.target;
    if (group.matches && group.matches(".mainnav details.navgroup") && group.open) { closeGroups(group); }
  }, true);

  document.addEventListener("click", function (event) {
    if (!event.target.closest(".mainnav details.navgroup")) { closeGroups(null); }
    if (!event.target.closest(".quicksearch")) { clearResults(); }
  });

  document.addEventListener("keydown", function (event) {
    var box = searchBox();
    if (event.key === "Escape") {
      var open = document.querySelector(".mainnav details.navgroup[open]");
      if (open) {
        open.open = false;
        open.querySelector("summary").focus();
      }
      if (event.target.closest && event.target.closest(".quicksearch")) {
        clearResults();
        if (box) { box.focus(); }
      }
      return;
    }
    if (!box) { return; }
    var shortcut = (event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey);
    if (shortcut || (event.key === "/" && !typing(event.target) && !event.altKey && !event.ctrlKey && !event.metaKey)) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    var links = resultLinks();
    var shown = document.querySelector("#quicksearch-results [data-query]");
    if (event.target === box && event.key === "Enter" && links.length && shown &&
        shown.getAttribute("data-query") === box.value.trim()) {
      // The results shown are those of the text typed: open the first one (else the form
      // opens the results page).
      event.preventDefault();
      window.location.href = links[0].href;
      return;
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && links.length &&
        (event.target === box || links.indexOf(event.target) >= 0)) {
      event.preventDefault();
      var index = links.indexOf(event.target);
      if (event.key === "ArrowDown") {
        links[Math.min(index + 1, links.length - 1)].focus();
      } else if (index <= 0) {
        box.focus();
      } else {
        links[index - 1].focus();
      }
    }
  });
})();
