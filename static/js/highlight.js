// Bring the highlighted message (from "Jump to the rating") into view,
// on a full page load and after an htmx swap. No inline script: the CSP forbids it.
function showHighlighted() {
  const target = document.querySelector(".msg.highlighted");
  if (target) {
    target.scrollIntoView({ block: "center" });
  }
}
document.addEventListener("DOMContentLoaded", showHighlighted);
document.addEventListener("htmx:afterSettle", showHighlighted);
