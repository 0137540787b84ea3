// Debate timer for the projector view (templates/assignments/present.html).
//
// Vanilla JavaScript, no library and no network: it works offline. The page
// already shows the motion, the teams and the default preset's segments as
// text; this script makes the timer run. Time is measured with
// performance.now() (never by counting timer ticks), so a tab in the
// background or a slow projector laptop keeps exact time; timers only repaint.
//
// Presets follow the debate formats teachers run (shared/formats.md); each is
// a starting point: "Custom" opens the current segments for editing.
(function () {
  "use strict";

  var root = document.querySelector("[data-timer]");
  if (!root) { return; }

  // --- presets -----------------------------------------------------------------

  // Presets come from the server (debatekit/formats.py), the same data the
  // printed debate-day packets use, so the clock matches the paper.
  var PRESETS = {};
  try {
    JSON.parse(root.getAttribute("data-presets") || "[]").forEach(function (p) {
      PRESETS[p.key] = {
        name: p.label,
        segments: p.segments.map(function (s) { return { name: s.name, seconds: s.seconds }; }),
        prep: p.prep_seconds ? { seconds: p.prep_seconds, teams: p.prep_teams } : null,
        coin: p.coin && p.coin.length ? p.coin : null
      };
    });
  } catch (e) { PRESETS = {}; }
  PRESETS.custom = { name: "Custom", custom: true };

  var MAX_SEGMENTS = 50;
  var MAX_MINUTES = 180;
  var MAX_NAME = 80;
  var WARNING_MS = 30 * 1000;
  var MIN_REPAINT_MS = 15;

  // --- elements ----------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  var els = {
    presetName: $("timer-preset-name"),
    settings: $("timer-settings"),
    select: $("timer-preset"),
    customForm: $("timer-custom"),
    customInput: $("timer-custom-input"),
    customError: $("timer-custom-error"),
    main: $("timer-main"),
    clock: $("timer-clock"),
    segment: $("timer-segment"),
    digits: $("timer-digits"),
    cue: $("timer-cue"),
    prep: $("timer-prep"),
    prepList: $("timer-prep-list"),
    prepReset: $("timer-prep-reset"),
    next: $("timer-next"),
    controls: $("timer-controls"),
    start: $("timer-start"),
    prev: $("timer-prev"),
    nextButton: $("timer-next-button"),
    reset: $("timer-reset"),
    fullscreen: $("timer-fullscreen"),
    coin: $("timer-coin"),
    coinFlip: $("timer-coin-flip"),
    coinResult: $("timer-coin-result"),
    list: $("timer-segments"),
    total: $("timer-total"),
    staticNote: $("timer-static-note"),
    announcer: $("timer-announcer")
  };

  // --- state -------------------------------------------------------------------

  function now() { return window.performance && performance.now ? performance.now() : Date.now(); }

  // A stopwatch that counts time spent running: `banked` ms from earlier runs
  // plus the time since `startedAt` while running.
  function Clock() { this.banked = 0; this.startedAt = 0; this.running = false; }
  Clock.prototype.elapsed = function () { return this.banked + (this.running ? now() - this.startedAt : 0); };
  Clock.prototype.start = function () { if (!this.running) { this.startedAt = now(); this.running = true; } };
  Clock.prototype.stop = function () { if (this.running) { this.banked += now() - this.startedAt; this.running = false; } };
  Clock.prototype.clear = function () { this.banked = 0; this.running = false; };

  var state = {
    presetId: null,
    segments: [],
    index: 0,
    clock: new Clock(),
    warned: false,     // "30 seconds" announced for this run of the segment
    timeCalled: false, // "Time" announced
    pools: [],         // prep-time pools: {name, total (ms), clock, button, digits, item, usedUp}
    coinTeams: null
  };

  // --- formatting --------------------------------------------------------------

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function mmss(totalSeconds) { return pad(Math.floor(totalSeconds / 60)) + ":" + pad(totalSeconds % 60); }
  function duration(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    if (!s) { return m + " min"; }
    return m ? m + " min " + s + " s" : s + " s";
  }
  function spokenDuration(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60, parts = [];
    if (m) { parts.push(m + (m === 1 ? " minute" : " minutes")); }
    if (s) { parts.push(s + (s === 1 ? " second" : " seconds")); }
    return parts.join(" ") || "0 seconds";
  }
  function totalSeconds(segments) { return segments.reduce(function (sum, s) { return sum + s.seconds; }, 0); }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // --- screen-reader announcements (segment changes, 30 seconds, time; never every second)

  var lastAnnouncement = "";
  function announce(message) {
    // Repeating the same text would not be read again: vary it invisibly.
    if (message === lastAnnouncement) { message += "\u00a0"; }
    lastAnnouncement = message;
    els.announcer.textContent = message;
  }

  // --- custom segments ---------------------------------------------------------

  var ITEM_RE = /^(.+?)\s+(\d{1,4}(?:\.\d+)?|\d{1,4}:[0-5]\d)\s*(?:m|min|mins|minutes?)?\.?$/i;

  // "Opening 3, Questions 5, Closing 2" -> {segments: [...]} or {error: "..."}.
  // Items are separated by commas, semicolons or new lines; minutes may be
  // whole, decimal (1.5) or minutes:seconds (1:30).
  function parseCustom(text) {
    var items = String(text || "").split(/[,;\n]+/).map(function (s) { return s.trim(); }).filter(Boolean);
    if (!items.length) {
      return { error: "Type at least one segment: a name and its minutes, for example “Opening 3, Questions 5, Closing 2”." };
    }
    if (items.length > MAX_SEGMENTS) {
      return { error: "That is " + items.length + " segments; the timer takes at most " + MAX_SEGMENTS + "." };
    }
    var segments = [];
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var where = "Segment " + (i + 1) + " (“" + item + "”)";
      var m = ITEM_RE.exec(item);
      if (!m) {
        return { error: where + " needs a name followed by its minutes as a number, for example “Opening 3”." };
      }
      var name = m[1].replace(/[\s:\-–—]+$/, "").trim();
      var seconds;
      if (m[2].indexOf(":") >= 0) {
        var parts = m[2].split(":");
        seconds = parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10);
      } else {
        seconds = Math.round(parseFloat(m[2]) * 60);
      }
      if (!name) {
        return { error: where + " needs a name before its minutes, for example “Opening 3”." };
      }
      if (name.length > MAX_NAME) {
        return { error: where + " has a name longer than " + MAX_NAME + " characters." };
      }
      if (!(seconds > 0)) {
        return { error: where + " must last longer than 0 minutes." };
      }
      if (seconds > MAX_MINUTES * 60) {
        return { error: where + " is longer than " + MAX_MINUTES + " minutes." };
      }
      segments.push({ name: name, seconds: seconds });
    }
    return { segments: segments };
  }

  function segmentsAsText(segments) {
    return segments.map(function (s) {
      var minutes = s.seconds % 60 ? Math.floor(s.seconds / 60) + ":" + pad(s.seconds % 60) : String(s.seconds / 60);
      return s.name.replace(/[,;\n]+/g, " ").trim() + " " + minutes;
    }).join(", ");
  }

  function showCustomError(message) {
    // The element stays in place (empty, so not shown) for screen readers to
    // announce a new message as an alert.
    els.customError.textContent = message || "";
    if (message) {
      els.customInput.setAttribute("aria-invalid", "true");
    } else {
      els.customInput.removeAttribute("aria-invalid");
    }
  }

  // --- the speech timer --------------------------------------------------------

  function current() { return state.segments[state.index] || null; }
  function remainingMs() {
    var s = current();
    return s ? s.seconds * 1000 - state.clock.elapsed() : 0;
  }

  function loadSegment(index, message) {
    state.clock.clear();
    state.index = Math.max(0, Math.min(index, state.segments.length - 1));
    state.warned = false;
    state.timeCalled = false;
    renderList();
    render();
    var s = current();
    if (s && message !== false) {
      announce((message ? message + " " : "") + s.name + ", " + spokenDuration(s.seconds) + ". Press Space to start.");
    }
  }

  function toggle() {
    var s = current();
    if (!s) { return; }
    if (state.clock.running) {
      state.clock.stop();
      announce("Paused: " + s.name + ".");
    } else {
      state.clock.start();
      announce("Running: " + s.name + ".");
    }
    render();
  }

  function next() {
    if (!state.segments.length) { return; }
    if (state.index >= state.segments.length - 1) {
      announce("This is the last segment.");
      return;
    }
    loadSegment(state.index + 1, "Next segment:");
  }

  function previous() {
    if (!state.segments.length) { return; }
    if (state.index === 0) {
      announce("This is the first segment.");
      return;
    }
    loadSegment(state.index - 1, "Previous segment:");
  }

  function reset() {
    if (!state.segments.length) { return; }
    loadSegment(state.index, "Reset:");
  }

  // --- prep-time pools (one per team, run independently of the speech timer) ---

  function buildPools(prep) {
    state.pools.forEach(function (p) { p.clock.stop(); });
    state.pools = [];
    els.prepList.textContent = "";
    els.prep.hidden = !prep;
    if (!prep) { return; }
    prep.teams.forEach(function (team, i) {
      var pool = { name: team, total: prep.seconds * 1000, clock: new Clock(), usedUp: false };
      var item = make("li", "prep-pool");
      item.id = "prep-pool-" + (i + 1);
      var label = make("span", "prep-name", team);
      label.id = "prep-name-" + (i + 1);
      var digits = make("span", "prep-digits", mmss(prep.seconds));
      digits.setAttribute("role", "timer");
      digits.setAttribute("aria-labelledby", label.id);
      var button = make("button", "pv-button prep-button", "Start " + team + " prep");
      button.type = "button";
      button.addEventListener("click", function () { togglePool(pool); });
      item.appendChild(label);
      item.appendChild(digits);
      item.appendChild(button);
      els.prepList.appendChild(item);
      pool.item = item;
      pool.digits = digits;
      pool.button = button;
      state.pools.push(pool);
    });
  }

  function poolRemaining(pool) { return Math.max(0, pool.total - pool.clock.elapsed()); }

  function togglePool(pool) {
    if (pool.clock.running) {
      pool.clock.stop();
      announce(pool.name + " prep stopped, " + spokenDuration(Math.ceil(poolRemaining(pool) / 1000)) + " left.");
    } else if (poolRemaining(pool) > 0) {
      pool.clock.start();
      announce(pool.name + " prep running.");
    }
    render();
  }

  function resetPools() {
    state.pools.forEach(function (pool) { pool.clock.clear(); pool.usedUp = false; });
    announce("Prep time reset.");
    render();
  }

  function renderPools() {
    state.pools.forEach(function (pool) {
      var left = poolRemaining(pool);
      if (left <= 0 && pool.clock.running) {
        pool.clock.stop();
      }
      if (left <= 0 && !pool.usedUp) {
        pool.usedUp = true;
        announce(pool.name + " prep time is used up.");
      }
      pool.digits.textContent = mmss(Math.ceil(left / 1000));
      pool.item.setAttribute("data-state", left <= 0 ? "used" : pool.clock.running ? "running" : "stopped");
      pool.button.textContent = left <= 0 ? pool.name + " prep used up" : (pool.clock.running ? "Stop " : "Start ") + pool.name + " prep";
      pool.button.disabled = left <= 0;
    });
  }

  // --- coin flip ---------------------------------------------------------------

  function randomBit() {
    if (window.crypto && crypto.getRandomValues) {
      return crypto.getRandomValues(new Uint8Array(1))[0] & 1;
    }
    return Math.random() < 0.5 ? 0 : 1;
  }

  function flipCoin() {
    var teams = state.coinTeams;
    if (!teams) { return; }
    var winner = randomBit();
    var text = "Coin flip: the " + teams[winner] + " wins the toss and chooses the side or the speaking order; the " +
      teams[1 - winner] + " takes the other choice.";
    els.coinResult.textContent = text;
    announce(text);
  }

  // --- rendering ---------------------------------------------------------------

  var repaint = null;

  function anyRunning() {
    return state.clock.running || state.pools.some(function (p) { return p.clock.running; });
  }

  // Overtime reads "+mm:ss"; the plus sign is set smaller so the digits fit.
  function showDigits(text, overtime) {
    var shown = (overtime ? "+" : "") + text;
    if (els.digits.textContent === shown) { return; }
    els.digits.textContent = "";
    if (overtime) { els.digits.appendChild(make("span", "timer-plus", "+")); }
    els.digits.appendChild(document.createTextNode(text));
    els.digits.classList.toggle("is-long", text.length > 5);
  }

  function render() {
    var s = current();
    var phase, cue;
    if (!s) {
      phase = "ready";
      els.segment.textContent = "No segments yet";
      showDigits("00:00", false);
      cue = "Type custom segments above";
    } else {
      var left = remainingMs();
      els.segment.textContent = s.name;
      if (left <= 0) {
        phase = "over";
        showDigits(mmss(Math.floor(-left / 1000)), true);
        cue = state.clock.running ? "Time" : "Time (paused)";
        if (!state.timeCalled) {
          state.timeCalled = true;
          announce("Time: " + s.name + " is over.");
        }
      } else {
        showDigits(mmss(Math.ceil(left / 1000)), false);
        if (left <= WARNING_MS) {
          phase = "warning";
          cue = state.clock.running ? "30 seconds left" : "30 seconds left (paused)";
          if (!state.warned && state.clock.running) {
            state.warned = true;
            announce("30 seconds left: " + s.name + ".");
          }
        } else if (state.clock.running) {
          phase = "running";
          cue = "Running";
        } else if (state.clock.elapsed() > 0) {
          phase = "paused";
          cue = "Paused";
        } else {
          phase = "ready";
          cue = "Ready: press Space to start";
        }
      }
    }
    els.clock.setAttribute("data-phase", phase);
    root.setAttribute("data-phase", phase);
    els.cue.textContent = cue;

    els.start.textContent = state.clock.running ? "Pause" : (s && state.clock.elapsed() > 0 ? "Resume" : "Start");
    els.start.disabled = !s;
    els.prev.disabled = !s || state.index === 0;
    els.nextButton.disabled = !s || state.index >= state.segments.length - 1;
    els.reset.disabled = !s;

    var upcoming = state.segments[state.index + 1];
    els.next.textContent = !s ? "" : upcoming ? "Next: " + upcoming.name + " · " + duration(upcoming.seconds) : "Next: end of the round";

    renderPools();
    keepAwake(anyRunning());
    schedule();
  }

  // Milliseconds until a running display shows a different second, so the
  // digits change on the second rather than up to a tick late.
  function untilNextChange() {
    var wait = 1000;
    function consider(left) {
      var ms = left > 0 ? left % 1000 : 1000 - (-left % 1000);
      wait = Math.min(wait, ms || 1000);
    }
    if (state.clock.running && current()) { consider(remainingMs()); }
    state.pools.forEach(function (pool) { if (pool.clock.running) { consider(poolRemaining(pool)); } });
    return Math.max(MIN_REPAINT_MS, wait);
  }

  function schedule() {
    if (repaint !== null) { window.clearTimeout(repaint); repaint = null; }
    if (!anyRunning()) { return; }
    repaint = window.setTimeout(function () { repaint = null; render(); }, untilNextChange());
  }

  function renderList() {
    els.list.textContent = "";
    state.segments.forEach(function (s, i) {
      var cls = "segment" + (i === state.index ? " is-current" : i < state.index ? " is-done" : "");
      var item = make("li", cls);
      if (i === state.index) {
        item.setAttribute("aria-current", "step");
        item.appendChild(make("span", "segment-marker", "Now"));
        item.appendChild(document.createTextNode(" "));
      }
      item.appendChild(make("span", "segment-name", s.name));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(make("span", "segment-time", duration(s.seconds)));
      els.list.appendChild(item);
    });
    var total = totalSeconds(state.segments);
    els.total.textContent = state.segments.length
      ? state.segments.length + " segment" + (state.segments.length === 1 ? "" : "s") + " · " + duration(total) + " in all"
      : "none yet";
  }

  // --- presets -----------------------------------------------------------------

  var lastPrefill = "";

  function choosePreset(id, options) {
    var preset = PRESETS[id] || PRESETS.pf;
    state.presetId = PRESETS[id] ? id : "pf";
    els.select.value = state.presetId;
    els.presetName.textContent = preset.name;
    state.clock.clear();
    if (preset.custom) {
      // Custom starts from the segments in use, ready to edit.
      els.customForm.hidden = false;
      // Keep what the teacher typed; otherwise offer the segments in use.
      if (!els.customInput.value || els.customInput.value === lastPrefill) {
        lastPrefill = els.customInput.value = segmentsAsText(state.segments);
      }
      showCustomError("");
      buildPools(null);
      state.coinTeams = null;
      els.coin.hidden = true;
      loadSegment(0, false);
      announce("Custom segments: edit them in the text field, then choose “Use these segments”.");
      return;
    }
    els.customForm.hidden = true;
    state.segments = preset.segments.slice();
    buildPools(preset.prep || null);
    state.coinTeams = preset.coin || null;
    els.coin.hidden = !preset.coin;
    els.coinResult.textContent = "";
    loadSegment(0, false);
    if (!options || !options.quiet) {
      announce(preset.name + ": " + state.segments.length + " segments, " + spokenDuration(totalSeconds(state.segments)) +
        ". First: " + state.segments[0].name + ".");
    }
  }

  function applyCustom(event) {
    if (event) { event.preventDefault(); }
    var result = parseCustom(els.customInput.value);
    if (result.error) {
      showCustomError(result.error);
      return;
    }
    showCustomError("");
    state.segments = result.segments;
    loadSegment(0, false);
    announce("Custom segments ready: " + state.segments.length + " segments, " + spokenDuration(totalSeconds(state.segments)) +
      ". First: " + state.segments[0].name + ".");
  }

  // --- keyboard ----------------------------------------------------------------

  function isTyping(target) {
    if (!target || target === document.body) { return false; }
    if (target.isContentEditable || target.tagName === "TEXTAREA") { return true; }
    return target.tagName === "INPUT" && !/^(button|submit|reset|checkbox|radio|range|color|file)$/.test(target.type);
  }

  // A button or menu the teacher clicked keeps the focus, but the teacher's
  // next Space or arrow key is meant for the timer (not for clicking that
  // button again or changing the format). Controls reached with the keyboard
  // keep their own keys.
  var clickedControl = null;
  document.addEventListener("mousedown", function (event) {
    clickedControl = event.target.closest ? event.target.closest("button, select, summary, [role='button']") : null;
  }, true);
  document.addEventListener("focusin", function (event) {
    if (event.target !== clickedControl) { clickedControl = null; }
  });

  function ownsKey(target, key) {
    if (target === clickedControl) { return false; }
    if (target.tagName === "SELECT") { return true; }
    var control = target.closest && target.closest("button, summary, [role='button'], input");
    return !!control && (key === " " || key === "Spacebar" || key === "Enter");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    var key = event.key;
    if (isTyping(target) || ownsKey(target, key)) { return; }
    var action = null;
    if (key === " " || key === "Spacebar") { action = toggle; }
    else if (key === "n" || key === "N" || key === "ArrowRight") { action = next; }
    else if (key === "p" || key === "P" || key === "ArrowLeft") { action = previous; }
    else if (key === "r" || key === "R") { action = reset; }
    else if ((key === "f" || key === "F") && fullscreenSupported()) { action = toggleFullscreen; }
    if (!action) { return; }
    event.preventDefault();
    if (!event.repeat) { action(); }
  });
  // A clicked button would also answer the Space we just used: not this time.
  document.addEventListener("keyup", function (event) {
    if ((event.key === " " || event.key === "Spacebar") && event.target === clickedControl) { event.preventDefault(); }
  });

  // --- full screen and keeping the projector awake -------------------------------

  function fullscreenSupported() {
    return !!(document.fullscreenEnabled && document.documentElement.requestFullscreen);
  }

  function toggleFullscreen() {
    try {
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(function () {});
      } else {
        document.documentElement.requestFullscreen().catch(function () {});
      }
    } catch (e) { /* not allowed here */ }
  }

  var wakeLock = null, wakePending = false;
  function keepAwake(on) {
    if (!navigator.wakeLock || !navigator.wakeLock.request) { return; }
    if (on && !wakeLock && !wakePending && document.visibilityState === "visible") {
      wakePending = true;
      navigator.wakeLock.request("screen").then(function (lock) {
        wakePending = false;
        wakeLock = lock;
        lock.addEventListener("release", function () { if (wakeLock === lock) { wakeLock = null; } });
        if (!anyRunning()) { keepAwake(false); }
      }).catch(function () { wakePending = false; });
    } else if (!on && wakeLock) {
      var lock = wakeLock;
      wakeLock = null;
      lock.release().catch(function () {});
    }
  }

  // --- wiring ------------------------------------------------------------------

  els.start.addEventListener("click", toggle);
  els.nextButton.addEventListener("click", next);
  els.prev.addEventListener("click", previous);
  els.reset.addEventListener("click", reset);
  els.prepReset.addEventListener("click", resetPools);
  els.coinFlip.addEventListener("click", flipCoin);
  els.customForm.addEventListener("submit", applyCustom);
  els.select.addEventListener("change", function () { choosePreset(els.select.value); });
  document.addEventListener("visibilitychange", render);

  if (fullscreenSupported()) {
    els.fullscreen.hidden = false;
    els.fullscreen.addEventListener("click", toggleFullscreen);
    document.addEventListener("fullscreenchange", function () {
      els.fullscreen.textContent = document.fullscreenElement ? "Exit full screen" : "Full screen";
    });
    var fsHelp = document.querySelector(".pv-keys-fs");
    if (fsHelp) { fsHelp.hidden = false; }
  }

  [els.settings, els.main, els.next, els.controls].forEach(function (node) { node.hidden = false; });
  if (els.staticNote) { els.staticNote.hidden = true; }
  showCustomError("");

  choosePreset(root.getAttribute("data-preset") || "pf", { quiet: true });
  root.setAttribute("data-ready", "true");

  // For tests and the curious: the parser, without touching the page.
  window.debateTimer = { parseCustom: parseCustom };
})();
