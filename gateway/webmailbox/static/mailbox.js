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

// The send form uploads with XMLHttpRequest so that the clerk sees how much of a large
// file has gone (a <progress> bar and a percentage); the hub's answer is then shown as a
// plain form post would show it: the document's page, or the form with the refusal.
(function () {
  "use strict";
  const form = document.getElementById("send-form");
  const bar = document.getElementById("upload-progress");
  const percent = document.getElementById("upload-percent");
  const button = document.getElementById("send-button");
  if (!form || !bar || !percent || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  function show(value) {
    bar.value = value;
    percent.textContent = value + " %";
    form.dataset.progress = String(value);
  }
  function failed() {
    if (button) {
      button.disabled = false;
    }
    bar.hidden = true;
    percent.textContent = "";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable && progress.total > 0) {
        show(Math.floor((progress.loaded * 100) / progress.total));
      }
    });
    request.upload.addEventListener("load", function () {
      show(100);
    });
    request.addEventListener("load", function () {
      const answered = request.responseURL || "";
      if (request.status === 200 && answered && answered !== form.action) {
        window.location.assign(answered); // followed the hub's 303: the document's page
        return;
      }
      document.open(); // a refusal: the form again, with the hub's words
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", failed);
    request.addEventListener("abort", failed);
    if (button) {
      button.disabled = true;
    }
    bar.hidden = false;
    show(0);
    request.send(new FormData(form));
  });
})();
