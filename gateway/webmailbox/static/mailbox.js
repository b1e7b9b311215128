// The document page's timeline follows the recipients' statuses: every 5 s it fetches
// the server-rendered table again and swaps its rows (no inline script: strict CSP).
(function () {
  "use strict";
  const table = document.querySelector("#timeline[data-live]");
  if (!table) {
    return;
  }
  async function refresh() {
    try {
      const answer = await fetch(table.dataset.live, { credentials: "same-origin" });
      if (!answer.ok) {
        return;
      }
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const rows = page.querySelector("#timeline tbody");
      const current = table.querySelector("tbody");
      if (rows && current && rows.innerHTML !== current.innerHTML) {
        current.replaceWith(document.adoptNode(rows));
      }
    } catch (error) {
      // offline for a moment: the next turn tries again
    }
  }
  setInterval(refresh, 5000);
})();
