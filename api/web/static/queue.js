// The exception queue's person picker: searching shows the people found as choices in the
// item's link form, without leaving the page. Without this script the same form reloads the
// queue with the results (?find=...&for=...). Text is set with textContent, never as HTML.
(function () {
  "use strict";
  function render(id, body) {
    var box = document.getElementById("picked-" + id);
    if (!box) return;
    box.textContent = "";
    if (!body.hits.length) {
      var none = document.createElement("p");
      none.className = "hint";
      none.textContent = "Nobody matches.";
      box.appendChild(none);
      return;
    }
    body.hits.forEach(function (p, i) {
      var row = document.createElement("div");
      row.className = "radio candidate";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "person_id";
      input.required = true;
      input.value = p.person_id;
      input.id = "f-" + id + "-" + i;
      var label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = p.name + " (" + p.person_id + "), born " + (p.date_of_birth || "unknown") + " ";
      var tag = document.createElement("span");
      tag.className = "source source-finder";
      tag.textContent = "found by " + p.matched_on;
      label.appendChild(tag);
      row.appendChild(input);
      row.appendChild(label);
      box.appendChild(row);
    });
  }
  function search(form) {
    var id = form.getAttribute("data-picker");
    var words = form.querySelector("input[name=find]").value.trim();
    if (!words) { render(id, { hits: [] }); return; }
    fetch("/migration/people.json?q=" + encodeURIComponent(words), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { hits: [] }; })
      .then(function (body) { render(id, body); });
  }
  document.querySelectorAll("form.picker").forEach(function (form) {
    var timer = null;
    form.addEventListener("submit", function (event) { event.preventDefault(); search(form); });
    form.querySelector("input[name=find]").addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(form); }, 250);
    });
  });
})();
