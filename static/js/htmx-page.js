// How htmx swaps behave for people. No inline script: the CSP forbids it.
// 1. When an htmx request fails (the server answered an error, or did not answer),
//    htmx changes nothing on the page: say so in the page's alert region.
// 3. A button marked data-once (a confirm that sends to customers) is disabled once its
//    form is submitted, so a double click sends one request (the server also refuses a
//    second launch).
// 2. After a swap that removed the focused element (a pager link, "Show", a quick
//    filter), focus lands on <body>: move it, and the view, to the top of the new content
//    (its marked heading) or to the highlighted message, so the person continues from
//    there, not from the bottom of the previous page.
(function () {
  function show(text) {
    const box = document.getElementById("request-problem");
    if (!box) {
      return;
    }
    box.textContent = text;
    box.hidden = false;
  }
  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      show("Your role does not allow this. Ask an admin if you need it.");
    } else if (status === 400) {
      show("That request was not understood. Reload the page and try again.");
    } else {
      show("Something went wrong (HTTP " + status + "). Reload the page and try again; tell an admin if it happens again.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    show("The dashboard did not answer. Check your connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    const box = document.getElementById("request-problem");
    if (box) {
      box.hidden = true;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (document.activeElement && document.activeElement !== document.body) {
      return; // the person is still in a control that stayed (a search box, a select)
    }
    const target = event.detail.elt;
    if (!target || !target.querySelector) {
      return;
    }
    const highlighted = target.querySelector(".msg.highlighted");
    const mark = highlighted || target.querySelector("[data-focus-after-swap]");
    if (!mark) {
      return;
    }
    if (!mark.hasAttribute("tabindex")) {
      mark.setAttribute("tabindex", "-1");
    }
    mark.focus({ preventScroll: true });
    // The top of the new content (or the highlighted message) where the eye is.
    mark.scrollIntoView({ block: highlighted ? "center" : "start" });
  });
  document.addEventListener("submit", function (event) {
    const button = event.target.querySelector ? event.target.querySelector("button[data-once]") : null;
    if (button) {
      window.setTimeout(function () {
        button.disabled = true;
      }, 0);
    }
  });
})();
