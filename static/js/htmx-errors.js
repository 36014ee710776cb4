// When an htmx request fails (the server answered an error, or did not answer),
// htmx changes nothing on the page. Say so in the page's alert region instead of
// leaving the person wondering. No inline script: the CSP forbids it.
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
})();
