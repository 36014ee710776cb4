// How htmx swaps behave for people. No inline script: the CSP forbids it.
// 1. When an htmx request fails (the server answered an error, or did not answer),
//    htmx changes nothing on the page: say so in the page's alert region.
// 3. A button marked data-once (a confirm that sends to customers) is disabled once its
//    form is submitted, so a double click sends one request (the server also refuses a
//    second launch).
// 2. After a swap that removed the focused element (a pager link, a quick filter),
//    focus lands on <body>: move it to the new content's marked heading instead, so a
//    keyboard user continues from the results, not from the top of the page.
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
      return;
    }
    const target = event.detail.elt;
    const mark = target && target.querySelector ? target.querySelector("[data-focus-after-swap]") : null;
    if (mark) {
      mark.focus({ preventScroll: true });
    }
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
