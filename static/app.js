// Small helpers used on every page. Nothing here is needed for a page to work.
(function () {
  "use strict";
  // Print buttons.
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) { event.preventDefault(); window.print(); }
  });

  function draftKeys() {
    var keys = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf("debatekit:draft:") === 0) { keys.push(key); }
      }
    } catch (e) { /* storage disabled */ }
    return keys;
  }

  // Signing out on a shared laptop: remove local copies the server already has.
  // Unsaved ones stay, so a lost connection never costs a student their text.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches || !event.target.matches("[data-logout]")) { return; }
    draftKeys().forEach(function (key) {
      try {
        var copy = JSON.parse(localStorage.getItem(key) || "null");
        if (!copy || copy.synced) { localStorage.removeItem(key); }
      } catch (e) { localStorage.removeItem(key); }
    });
  });

  // On the sign-in page, tell a student whose text is waiting on this computer.
  var notice = document.querySelector("[data-unsaved-notice]");
  if (notice) {
    var waiting = draftKeys().filter(function (key) {
      try { var c = JSON.parse(localStorage.getItem(key)); return c && !c.synced; } catch (e) { return false; }
    });
    if (waiting.length) {
      notice.hidden = false;
    }
  }
})();
