// Draw every chart whose Plotly figure the page embeds as JSON (no network access needed),
// with a modebar that saves it as PNG (the camera) or SVG, made in the browser by the bundled
// plotly.js; and give every table a link to itself as XLSX (the page's ?format=xlsx&table=N,
// built on the server from the same service result: see docs/web.md).
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
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var name = (location.pathname.replace(/^\/+|\/+$/g, "").replace(/[^A-Za-z0-9_-]+/g, "-")
              || "chart");
  document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (node) {
    var fig = JSON.parse(node.textContent);
    var target = document.getElementById(node.dataset.chart);
    if (target && window.Plotly) {
      var file = name + "-" + node.dataset.chart;
      Plotly.newPlot(target, fig.data, fig.layout, {
        displaylogo: false, responsive: true,
        toImageButtonOptions: {format: "png", filename: file, scale: 2},
        modeBarButtonsToAdd: [{
          name: "downloadSvg", title: zh ? "下载 SVG 矢量图" : "Download plot as SVG",
          icon: Plotly.Icons.disk,
          click: function (gd) { Plotly.downloadImage(gd, {format: "svg", filename: file}); }
        }]
      });
    }
  });
  var tables = document.querySelectorAll("table");
  var page = document.getElementById("page-xlsx");
  if (page && !tables.length) { page.hidden = true; }
  tables.forEach(function (table, i) {
    var url = new URL(location.href);
    url.searchParams.set("format", "xlsx");
    url.searchParams.set("table", String(i));
    var link = document.createElement("a");
    link.href = url.pathname + url.search;
    link.className = "table-xlsx";
    link.textContent = zh ? "下载本表（XLSX）" : "Download this table (XLSX)";
    link.setAttribute("download", "");
    table.parentNode.insertBefore(link, table);
  });
});
