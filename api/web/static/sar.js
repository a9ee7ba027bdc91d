// A SAR bundle being built in the background (api/web/sar_jobs.py): ask every few seconds
// whether it has finished, and show the request page again when it has. Without this script
// the page's "Check now" link does the same.
(function () {
  "use strict";
  var box = document.getElementById("bundle-running");
  if (!box) return;
  var url = box.getAttribute("data-status");
  function ask() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { running: true }; })
      .then(function (body) {
        if (body.running) { setTimeout(ask, 3000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(ask, 10000); });
  }
  setTimeout(ask, 3000);
})();
