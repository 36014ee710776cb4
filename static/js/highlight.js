// Bring the highlighted message (from "Jump to the rating") into view and focus on a
// full page load (after an htmx swap, htmx-page.js does it). No inline script: the CSP.
function showHighlighted() {
  const target = document.querySelector(".msg.highlighted");
  if (target) {
    target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }
}
document.addEventListener("DOMContentLoaded", showHighlighted);
