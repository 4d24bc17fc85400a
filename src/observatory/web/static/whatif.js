// What-if weights on the index page: the form's weights go to /api/index/what-if and the
// table below it shows the new scores and ranks beside the published ones (no page reload).
(function () {
  "use strict";
  var form = document.getElementById("what-if");
  if (!form) { return; }
  var body = document.getElementById("what-if-rows");
  var lang = form.getAttribute("data-lang") || "en";
  function cell(text, numeric) {
    var td = document.createElement("td");
    if (numeric) { td.className = "num"; }
    td.textContent = text;
    return td;
  }
  function show(result) {
    body.textContent = "";
    result.scores.forEach(function (s) {
      var tr = document.createElement("tr");
      var move = s.rank_before === null || s.rank === null ? "" : s.rank_before - s.rank;
      tr.appendChild(cell(s.rank === null ? "—" : String(s.rank), true));
      tr.appendChild(cell(lang === "zh" ? s.name_zh : s.name_en, false));
      tr.appendChild(cell(s.score === null ? "—" : s.score.toFixed(1), true));
      tr.appendChild(cell(move === "" ? "" : (move > 0 ? "+" : "") + move, true));
      body.appendChild(tr);
    });
  }
  function recompute(event) {
    if (event) { event.preventDefault(); }
    var parts = [];
    form.querySelectorAll("input[data-code]").forEach(function (input) {
      parts.push(input.getAttribute("data-code") + ":" + (input.value || "0"));
    });
    fetch("/api/index/what-if?weights=" + encodeURIComponent(parts.join(",")),
          {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        var out = document.getElementById("what-if-error");
        out.textContent = res[0] ? "" : (res[1].detail || JSON.stringify(res[1]));
        if (res[0]) { show(res[1]); }
      });
  }
  form.addEventListener("submit", recompute);
  form.addEventListener("change", recompute);
})();
