// Live updates for the console over server-sent events. No build step; no inline script
// (the Content-Security-Policy forbids it). Pages reload the parts they show.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var source = new EventSource("/console/events");
  var messageEl = document.querySelector("[data-live-message]");
  var overviewEl = document.querySelector("[data-live='overview']");
  source.addEventListener("receipt", function (event) {
    var data = JSON.parse(event.data);
    if (messageEl && data.message_id === messageEl.getAttribute("data-live-message")) {
      refresh("#timeline");
    }
    if (overviewEl) { refresh("[data-live='overview']"); }
  });
  source.addEventListener("message", function () {
    if (overviewEl) { refresh("[data-live='overview']"); }
  });
  function refresh(selector) {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector(selector);
        var current = document.querySelector(selector);
        if (fresh && current) { current.replaceWith(fresh); }
      });
  }
})();
