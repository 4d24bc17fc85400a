// Draw every chart whose Plotly figure the page embeds as JSON (no network access needed).
// Maps carry their own boundaries (GeoJSON shipped with the package); Plotly's geo subplot would
// still fetch a world outline from a CDN, so an empty outline is registered first: nothing of
// the world map is drawn (geo.visible is false) and nothing is fetched.
(function () {
  var empty = {type: "GeometryCollection", geometries: []};
  var layers = ["land", "ocean", "lakes", "rivers", "coastlines", "countries", "subunits"];
  var objects = {};
  layers.forEach(function (name) { objects[name] = empty; });
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
  ["world_110m", "world_50m"].forEach(function (name) {
    window.PlotlyGeoAssets.topojson[name] = {type: "Topology", arcs: [], objects: objects};
  });
})();
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (node) {
    var fig = JSON.parse(node.textContent);
    var target = document.getElementById(node.dataset.chart);
    if (target && window.Plotly) {
      Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true});
    }
  });
});
