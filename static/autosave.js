// Autosave for the student's argument. The page works without this file; it adds:
// - a save a few seconds after typing stops, and when a field loses focus;
// - a visible save state ("Saved at 10:42", "Not saved: retrying", "Signed out");
// - a copy in localStorage, restored when it is newer than the server's draft;
// - the two versions side by side when another tab saved first (HTTP 409).
(function () {
  "use strict";
  var form = document.getElementById("argument-form");
  var done = document.querySelector("[data-clear-draft]");
  if (done) {
    // The argument is submitted: the local copy has served its purpose.
    try { localStorage.removeItem(done.getAttribute("data-clear-draft")); } catch (e) { /* ignore */ }
  }
  if (!form || !window.fetch) { return; }

  var IDLE_MS = 2500;
  var statusEl = form.querySelector("[data-save-status]");
  var versionField = form.querySelector("[data-version-field]");
  var wordCountEl = document.querySelector("[data-word-count]");
  var storageKey = form.getAttribute("data-storage-key");
  var draftUrl = form.getAttribute("data-draft-url");
  var loginUrl = form.getAttribute("data-login-url");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var timer = null, retryTimer = null, retryDelay = 5000;
  var saving = false, pending = false, dirty = false, blocked = false;
  var lastSavedJson = null;

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "save-status" + (kind ? " save-" + kind : "");
  }

  function collect() {
    var evidence = [];
    form.querySelectorAll("[data-evidence-item]").forEach(function (item) {
      var text = item.querySelector("textarea[name=evidence]").value;
      var source = item.querySelector("select[name=evidence_source]").value;
      var citation = item.querySelector("input[name=evidence_citation]").value;
      evidence.push({ text: text, source: source || citation });
    });
    return {
      claim: form.elements.claim.value,
      evidence: evidence,
      reasoning: form.elements.reasoning.value,
      rebuttal: form.elements.rebuttal.value
    };
  }

  function apply(data) {
    form.elements.claim.value = data.claim || "";
    form.elements.reasoning.value = data.reasoning || "";
    form.elements.rebuttal.value = data.rebuttal || "";
    var items = data.evidence || [];
    var rows = form.querySelectorAll("[data-evidence-item]");
    while (rows.length < items.length) { addEvidenceRow(); rows = form.querySelectorAll("[data-evidence-item]"); }
    rows.forEach(function (row, i) {
      var item = items[i] || { text: "", source: "" };
      var select = row.querySelector("select[name=evidence_source]");
      var isLessonSource = Array.prototype.some.call(select.options, function (o) { return o.value && o.value === item.source; });
      row.querySelector("textarea[name=evidence]").value = item.text || "";
      select.value = isLessonSource ? item.source : "";
      row.querySelector("input[name=evidence_citation]").value = isLessonSource ? "" : (item.source || "");
    });
    countWords();
  }

  function countWords() {
    if (!wordCountEl) { return; }
    var data = collect();
    var text = [data.claim, data.reasoning, data.rebuttal].concat(data.evidence.map(function (e) { return e.text; })).join(" ");
    var words = text.trim() ? text.trim().split(/\s+/).length : 0;
    wordCountEl.textContent = String(words);
  }

  function version() { return parseInt(versionField.value, 10) || 0; }

  function keepLocal(synced) {
    try {
      localStorage.setItem(storageKey, JSON.stringify({
        data: collect(), version: version(), savedAt: Date.now(), synced: !!synced
      }));
    } catch (e) { /* storage full or disabled: the server copy still works */ }
  }

  function readLocal() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }

  function timeText(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function scheduleSave(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  function showConflict(body) {
    blocked = true;
    var box = document.getElementById("conflict-live");
    if (!box) {
      box = document.createElement("section");
      box.id = "conflict-live";
      box.className = "panel panel-warning conflict";
      box.setAttribute("role", "alert");
      form.parentNode.insertBefore(box, form);
    }
    var current = body.current || {};
    box.innerHTML = "";
    var h = document.createElement("h3");
    var submitted = body.error === "submitted";
    h.textContent = submitted ? "This argument was already submitted" : "Another tab saved a different version";
    box.appendChild(h);
    var p = document.createElement("p");
    p.textContent = submitted
      ? "Your changes on this page were not saved, and your submitted text is unchanged. Your text is still in the form below and on this computer."
      : "Your text is still in the form below. The saved version is shown here; choose which to keep.";
    box.appendChild(p);
    var pre = document.createElement("div");
    pre.className = "saved-version";
    ["claim", "reasoning", "rebuttal"].forEach(function (name) {
      var label = document.createElement("p");
      label.innerHTML = "<strong></strong>";
      label.firstChild.textContent = name.charAt(0).toUpperCase() + name.slice(1) + ":";
      var text = document.createElement("p");
      text.className = "kept-text-block";
      text.textContent = current[name] || "";
      pre.appendChild(label); pre.appendChild(text);
    });
    (current.evidence || []).forEach(function (ev, i) {
      var line = document.createElement("p");
      line.textContent = "Evidence " + (i + 1) + ": " + ev.text + (ev.source ? " (" + ev.source + ")" : "");
      pre.appendChild(line);
    });
    box.appendChild(pre);
    if (!submitted) {
      var keep = document.createElement("button");
      keep.type = "button"; keep.className = "button button-primary"; keep.textContent = "Keep my version";
      keep.addEventListener("click", function () {
        versionField.value = String(body.version);
        blocked = false; box.remove(); dirty = true; save();
      });
      var use = document.createElement("button");
      use.type = "button"; use.className = "button"; use.textContent = "Use the saved version";
      use.addEventListener("click", function () {
        apply(current); versionField.value = String(body.version);
        blocked = false; box.remove(); dirty = false; keepLocal(true);
        setStatus("Showing the saved version.", "ok");
      });
      box.appendChild(keep); box.appendChild(document.createTextNode(" ")); box.appendChild(use);
    }
    setStatus(submitted ? "Not saved: already submitted." : "Not saved: choose a version above.", "error");
  }

  function save() {
    timer = null;
    if (blocked || !dirty) { return; }
    if (saving) { pending = true; return; }
    var data = collect();
    var json = JSON.stringify(data);
    if (json === lastSavedJson) { dirty = false; return; }
    saving = true; pending = false;
    setStatus("Saving…", "busy");
    var body = Object.assign({ base_version: version() }, data);
    fetch(draftUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfInput.value },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (payload) { return { status: response.status, body: payload }; });
    }).then(function (result) {
      saving = false;
      if (result.status === 200) {
        versionField.value = String(result.body.version);
        lastSavedJson = json;
        retryDelay = 5000;
        if (collect() && JSON.stringify(collect()) === json) { dirty = false; }
        keepLocal(!dirty);
        setStatus("Saved at " + timeText(result.body.saved_at) + ".", "ok");
      } else if (result.status === 409) {
        keepLocal(false);
        showConflict(result.body);
      } else if (result.status === 401) {
        keepLocal(false);
        setStatus("You are signed out, so this was not saved. Your text is kept on this computer. Sign in again (the link opens a new tab), then keep typing.", "error");
        addLoginLink();
        retryLater();
      } else if (result.status === 413 || (result.status === 400 && result.body.error === "invalid")) {
        keepLocal(false);
        setStatus("Not saved: " + (result.body.message || "the text is too long") + " Your text is kept on this computer.", "error");
      } else {
        keepLocal(false);
        setStatus("Saving failed (" + (result.body.message || "the server did not answer") + "). Retrying… Your text is kept on this computer.", "error");
        retryLater();
      }
      if (pending) { scheduleSave(0); }
    }).catch(function () {
      saving = false;
      keepLocal(false);
      setStatus("Saving failed: no connection. Retrying… Your text is kept on this computer.", "error");
      retryLater();
    });
  }

  function retryLater() {
    if (retryTimer) { clearTimeout(retryTimer); }
    retryTimer = setTimeout(function () { retryTimer = null; dirty = true; save(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function addLoginLink() {
    if (document.getElementById("relogin-link")) { return; }
    var a = document.createElement("a");
    a.id = "relogin-link"; a.href = loginUrl; a.target = "_blank"; a.rel = "noopener";
    a.textContent = "Sign in again";
    statusEl.parentNode.insertBefore(a, statusEl.nextSibling);
  }

  function addEvidenceRow() {
    var list = form.querySelector("[data-evidence-list]");
    var rows = list.querySelectorAll("[data-evidence-item]");
    var last = rows[rows.length - 1];
    var clone = last.cloneNode(true);
    var n = rows.length + 1;
    clone.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/\d+$/, String(n)); });
    clone.querySelectorAll("label[for]").forEach(function (el) {
      el.htmlFor = el.htmlFor.replace(/\d+$/, String(n));
      el.textContent = el.textContent.replace(/\d+/, String(n));
    });
    clone.querySelectorAll("textarea, input").forEach(function (el) { el.value = ""; });
    clone.querySelector("select").value = "";
    list.appendChild(clone);
    return clone;
  }

  // Restore a local copy that is newer than what the server has.
  var local = readLocal();
  var serverVersion = parseInt(form.getAttribute("data-server-version"), 10) || 0;
  var serverData = collect();
  lastSavedJson = JSON.stringify(serverData);
  if (local && local.data && JSON.stringify(local.data) !== lastSavedJson && !local.synced && local.version >= serverVersion) {
    apply(local.data);
    dirty = true;
    setStatus("Restored text that had not reached the server yet. Saving it now…", "busy");
    var note = document.createElement("p");
    note.className = "flash flash-warning";
    note.setAttribute("role", "status");
    note.textContent = "We restored your unsaved text from this computer.";
    form.parentNode.insertBefore(note, form);
    scheduleSave(500);
  } else if (local && local.synced && local.version < serverVersion) {
    keepLocal(true);
  }

  // An "Add evidence" button (the no-JavaScript form shows spare rows instead).
  var add = document.createElement("button");
  add.type = "button"; add.className = "button button-small"; add.textContent = "Add another evidence item";
  add.addEventListener("click", function () {
    var row = addEvidenceRow();
    row.querySelector("textarea").focus();
  });
  form.querySelector("[data-evidence-list]").parentNode.appendChild(add);

  form.addEventListener("input", function () {
    dirty = true;
    countWords();
    keepLocal(false);
    if (!blocked) { setStatus("Unsaved changes…", "busy"); }
    scheduleSave(IDLE_MS);
  });
  form.addEventListener("change", function () { dirty = true; keepLocal(false); scheduleSave(IDLE_MS); });
  form.addEventListener("focusout", function () { if (dirty) { scheduleSave(0); } });
  form.addEventListener("submit", function () {
    // The form submits normally; keep the local copy until the server confirms.
    keepLocal(false);
    if (timer) { clearTimeout(timer); timer = null; }
    blocked = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !blocked) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) { save(); }
  });
})();
