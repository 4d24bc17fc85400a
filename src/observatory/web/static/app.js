// Draw every chart whose Plotly figure the page embeds as JSON (no network access needed).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (node) {
    var fig = JSON.parse(node.textContent);
    var target = document.getElementById(node.dataset.chart);
    if (target && window.Plotly) {
      Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true});
    }
  });
});
