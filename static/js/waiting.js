// Every htmx request is visible where the person is looking, and can be given up on.
// No inline script: the CSP forbids it.
// 1. The region being replaced is marked aria-busy (the stylesheet dims it and draws a
//    moving bar), and the control that started the request is disabled (buttons) or
//    marked (links, selects, search boxes stay usable: typing must not be interrupted).
// 2. After a second with no answer, the "waiting" panel says so and offers "Stop
//    waiting", which aborts every request in flight (htmx:abort); the page stays as it was.
// Polling requests (hx-trigger "every ...") are quiet: nobody is waiting for them.
(function () {
  const SLOW_MS = 1000;
  const pending = new Map(); // element that sent -> {target, disabled, timer}

  function quiet(elt) {
    const trigger = elt.getAttribute && elt.getAttribute("hx-trigger");
    return Boolean(trigger && trigger.indexOf("every ") !== -1);
  }

  function panel() {
    return document.getElementById("waiting-panel");
  }

  function controlsOf(elt) {
    if (elt.tagName === "FORM") {
      return Array.from(elt.querySelectorAll("button:not([type=button]), input[type=submit]"));
    }
    return elt.tagName === "BUTTON" ? [elt] : [];
  }

  function updatePanel() {
    const box = panel();
    if (!box) {
      return;
    }
    const slow = Array.from(pending.values()).some(function (entry) {
      return entry.slow;
    });
    box.hidden = !slow;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (!elt || quiet(elt) || pending.has(elt)) {
      return;
    }
    const target = event.detail.target;
    const entry = { target: target, disabled: [], slow: false, timer: 0 };
    if (target && target.setAttribute) {
      target.setAttribute("aria-busy", "true");
    }
    if (elt.tagName === "A") {
      elt.setAttribute("aria-disabled", "true");
    }
    elt.classList.add("is-loading");
    const cause = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    const submitter = elt.tagName === "FORM" ? (cause && cause.submitter) || controlsOf(elt)[0] : null;
    if (submitter) {
      submitter.classList.add("is-loading");
      entry.submitter = submitter;
    }
    controlsOf(elt).forEach(function (control) {
      if (!control.disabled) {
        control.disabled = true;
        entry.disabled.push(control);
      }
    });
    entry.timer = window.setTimeout(function () {
      entry.slow = true;
      updatePanel();
    }, SLOW_MS);
    pending.set(elt, entry);
  });

  function finish(elt) {
    const entry = pending.get(elt);
    if (!entry) {
      return;
    }
    pending.delete(elt);
    window.clearTimeout(entry.timer);
    if (entry.target && entry.target.removeAttribute) {
      entry.target.removeAttribute("aria-busy");
    }
    if (elt.tagName === "A") {
      elt.removeAttribute("aria-disabled");
    }
    elt.classList.remove("is-loading");
    if (entry.submitter) {
      entry.submitter.classList.remove("is-loading");
    }
    entry.disabled.forEach(function (control) {
      if (!control.hasAttribute("data-once")) {
        control.disabled = false;
      }
    });
  }

  // A swap may have removed the element that sent (htmx then reports on a parent):
  // every request whose element left the page is over too.
  function finished(event) {
    finish(event.detail.elt);
    Array.from(pending.keys()).forEach(function (elt) {
      if (!elt.isConnected) {
        finish(elt);
      }
    });
    updatePanel();
  }
  document.addEventListener("htmx:afterRequest", finished);

  // An aborted request: say that nothing changed, and let a card that loads itself
  // offer to try again.
  document.addEventListener("htmx:sendAbort", function (event) {
    const elt = event.detail.elt;
    finished(event);
    const card = elt && elt.closest ? elt.closest("[data-loads-itself]") : null;
    if (card) {
      const note = card.querySelector("[data-load-note]");
      if (note) {
        note.textContent = "You stopped waiting for the platform.";
      }
      const again = card.querySelector("[data-load-again]");
      if (again) {
        again.hidden = false;
      }
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("[data-stop-waiting]") : null;
    if (button) {
      Array.from(pending.keys()).forEach(function (elt) {
        window.htmx.trigger(elt, "htmx:abort");
      });
      return;
    }
    const again = event.target.closest ? event.target.closest("[data-load-again]") : null;
    if (again) {
      const card = again.closest("[data-loads-itself]");
      again.hidden = true;
      const note = card.querySelector("[data-load-note]");
      if (note) {
        note.textContent = note.getAttribute("data-load-note");
      }
      window.htmx.trigger(card, "load-again");
    }
  });
})();
