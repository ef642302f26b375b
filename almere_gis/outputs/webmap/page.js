/* The planner's map: draws the layers described in #ag-data with Leaflet, and runs the panel
   (layers and legends, search, tables, folding), the hover cards, the spreading of the top
   sites and the view in the URL. Every string in #ag-data that holds markup was escaped when
   the page was made; plain names are only ever set as text. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ag-data").textContent);
  var ui = data.ui;
  var mapEl = document.getElementById("ag-map");
  var panel = document.getElementById("ag-panel");
  var notices = document.getElementById("ag-notices");

  function notice(text) {
    var p = document.createElement("p");
    p.className = "ag-notice";
    p.textContent = text;
    notices.appendChild(p);
  }
  data.notes.forEach(notice);
  if (typeof L === "undefined") {
    var fatal = document.createElement("div");
    fatal.className = "ag-fatal";
    fatal.textContent = ui.leaflet_online;
    mapEl.appendChild(fatal);
    return;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fold(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  var narrow = window.matchMedia("(max-width: 799px)");
  if (narrow.matches) setPanel(false, true);

  var map = L.map(mapEl, { zoomSnap: 0.1, zoomDelta: 0.5, minZoom: 6, maxZoom: 19 });
  Object.keys(data.panes).forEach(function (name) {
    var pane = map.createPane(name);
    pane.style.zIndex = data.panes[name];
    if (name === "ag-density" || name === "ag-labels") pane.style.pointerEvents = "none";
  });
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  /* ---- hover cards: kept inside the map and clear of its controls ---- */
  var card = document.createElement("div");
  card.className = "ag-hover";
  card.hidden = true;
  card.setAttribute("role", "tooltip");
  mapEl.appendChild(card);

  function obstacles() {
    var base = mapEl.getBoundingClientRect();
    return Array.prototype.map.call(mapEl.querySelectorAll(".leaflet-control"), function (el) {
      var r = el.getBoundingClientRect();
      return { l: r.left - base.left, t: r.top - base.top, r: r.right - base.left, b: r.bottom - base.top };
    });
  }
  function overlap(a, b) {
    var w = Math.min(a.r, b.r) - Math.max(a.l, b.l), h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
    return w > 0 && h > 0 ? w * h : 0;
  }
  function placeCard(point) {
    var size = map.getSize(), w = card.offsetWidth, h = card.offsetHeight, gap = 16, best = null;
    var blocks = obstacles(), bottom = 4;
    // Keep above the controls along the bottom edge (scale bar, attribution) where there is room.
    blocks.forEach(function (o) { if (o.t > size.y / 2) bottom = Math.max(bottom, size.y - o.t + 2); });
    if (size.y - h - bottom < 4) bottom = 4;
    [[gap, gap], [-gap - w, gap], [gap, -gap - h], [-gap - w, -gap - h]].forEach(function (d) {
      var x = Math.max(4, Math.min(point.x + d[0], size.x - w - 4));
      var y = Math.max(4, Math.min(point.y + d[1], size.y - h - bottom));
      var box = { l: x, t: y, r: x + w, b: y + h };
      var cost = blocks.reduce(function (s, o) { return s + overlap(box, o); }, 0);
      if (point.x > box.l && point.x < box.r && point.y > box.t && point.y < box.b) cost += w * h / 4;
      if (!best || cost < best.cost) best = { x: x, y: y, cost: cost };
    });
    card.style.left = best.x + "px";
    card.style.top = best.y + "px";
  }
  var pin = null;  // a card shown for a searched place stays until the mouse really moves
  function showCard(html, point, pinned) {
    pin = pinned ? { first: null } : null;
    card.innerHTML = html;
    // Measure at the corner: a card near the right edge would wrap narrower and grow taller.
    card.style.left = "0px";
    card.style.top = "0px";
    card.hidden = false;
    placeCard(point);
  }
  function hideCard() { card.hidden = true; pin = null; }
  function hover(html, e) {
    if (pin) {
      if (!pin.first) { pin.first = e.containerPoint; return; }
      if (e.containerPoint.distanceTo(pin.first) < 6) return;
    }
    showCard(html, e.containerPoint);
  }
  function unhover() { if (!pin) hideCard(); }
  map.on("click movestart zoomstart", hideCard);
  mapEl.addEventListener("mouseleave", unhover);

  /* ---- popups: sized to the map and panned clear of its edges and controls ---- */
  function popupOptions(offsetY) {
    // The popup's frame adds about 50 px to its content; keep it within the padded map.
    var size = map.getSize(), width = Math.min(380, size.x - 84 - 52);
    return {
      maxWidth: width, minWidth: Math.min(240, width),
      maxHeight: Math.max(140, size.y - 180), autoPan: true, keepInView: false,
      autoPanPaddingTopLeft: L.point(60, 24), autoPanPaddingBottomRight: L.point(24, 44),
      offset: L.point(0, offsetY), className: "ag-popup"
    };
  }
  function openPopup(marker) {
    hideCard();
    L.popup(popupOptions(marker.agTop ? -14 : -4)).setLatLng(marker.getLatLng())
      .setContent(marker.agPopup).openOn(map);
  }

  /* ---- layers ---- */
  var byId = {}, overlays = {}, order = [];
  function addAreas(spec) {
    var features = {};
    var layer = L.geoJSON(spec.data, {
      pane: spec.pane,
      style: function (f) { return f.properties.style; },
      interactive: true,
      onEachFeature: function (f, l) {
        features[f.id] = l;
        if (!f.properties.tip) return;
        l.on("mouseover mousemove", function (e) { hover(f.properties.tip, e); });
        l.on("mouseout", unhover);
        l.on("click", function (e) { L.DomEvent.stopPropagation(e); showCard(f.properties.tip, e.containerPoint); });
        l.on("mouseover", function () { if (l.setStyle && spec.kind === "areas") l.setStyle({ weight: 3, color: "#222" }); });
        l.on("mouseout", function () { layer.resetStyle(l); });
      }
    });
    return { layer: layer, features: features };
  }
  function addLines(spec) {
    var features = {}, group = L.layerGroup(), labels = [];
    L.geoJSON(spec.data, {
      pane: spec.pane, interactive: false,
      style: function (f) { return f.properties.style; },
      onEachFeature: function (f, l) {
        features[f.id] = l;
        if (f.properties.label && f.properties.label_at) {
          var m = L.marker(f.properties.label_at, {
            pane: "ag-labels", interactive: false, keyboard: false,
            icon: L.divIcon({ className: "ag-label", html: "<span>" + f.properties.label + "</span>", iconSize: [0, 0] })
          });
          labels.push(m);
          group.addLayer(m);
        }
      }
    }).eachLayer(function (l) { group.addLayer(l); });
    group.agLabels = labels;
    return { layer: group, features: features };
  }
  function addImage(spec) {
    return { layer: L.imageOverlay(spec.url, spec.bounds, { pane: spec.pane, opacity: spec.opacity, interactive: false }), features: {} };
  }
  var tops = [];
  function addSites(spec) {
    var group = L.layerGroup(), features = {}, leaders = L.layerGroup();
    spec.data.features.forEach(function (f) {
      var p = f.properties, ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]), m;
      if (p.top) {
        m = L.marker(ll, {
          pane: "ag-sites-top", riseOnHover: true, title: p.name, alt: p.name,
          icon: L.divIcon({ className: "ag-top ag-site-rank-" + p.rank, html: '<span class="ag-rank">' + p.rank + "</span>", iconSize: [40, 40], iconAnchor: [20, 20] })
        });
        m.agTop = true;
        m.agHome = ll;
        m.agRank = p.rank;
        tops.push(m);
      } else {
        m = L.circleMarker(ll, {
          pane: "ag-sites", radius: 6, fillColor: p.colour, fillOpacity: 0.9, color: "#6a3d9a", weight: 1,
          className: "ag-site " + (p.rank ? "ag-site-rank-" + p.rank : "ag-site-excluded")
        });
      }
      m.agPopup = p.popup;
      m.on("click", function (e) { L.DomEvent.stopPropagation(e); openPopup(m); });
      features[f.id] = m;
      group.addLayer(m);
    });
    tops.sort(function (a, b) { return a.agRank - b.agRank; });
    group.addLayer(leaders);
    group.agLeaders = leaders;
    return { layer: group, features: features };
  }
  var builders = { areas: addAreas, lines: addLines, image: addImage, sites: addSites };
  data.layers.forEach(function (spec) {
    var made = builders[spec.kind](spec);
    made.spec = spec;
    byId[spec.id] = made;
    order.push(spec.id);
    made.layer.agId = spec.id;
    overlays[escapeHtml(spec.name)] = made.layer;
  });

  /* ---- top sites never overlap: spread in screen space, a thin line to the true place ---- */
  var MIN_GAP = 42;
  function spreadTops() {
    if (!tops.length || !map.hasLayer(byId.sites.layer)) return;
    var pts = tops.map(function (m) { return map.latLngToLayerPoint(m.agHome); });
    var home = pts.map(function (p) { return p.clone(); });
    for (var it = 0; it < 400; it++) {
      var moved = false;
      for (var i = 0; i < pts.length; i++) {
        for (var j = i + 1; j < pts.length; j++) {
          // Markers are squares of touch area: apart when either axis is far enough apart.
          var dx = pts[j].x - pts[i].x, dy = pts[j].y - pts[i].y;
          var d = Math.max(Math.abs(dx), Math.abs(dy));
          if (d >= MIN_GAP) continue;
          if (d < 0.01) { dx = Math.cos(j * 2.39996); dy = Math.sin(j * 2.39996); d = Math.max(Math.abs(dx), Math.abs(dy)); }
          var grow = ((MIN_GAP + 0.5) / d - 1) / 2;
          pts[i].x -= dx * grow; pts[i].y -= dy * grow;
          pts[j].x += dx * grow; pts[j].y += dy * grow;
          moved = true;
        }
      }
      if (!moved) break;
    }
    var leaders = byId.sites.layer.agLeaders;
    leaders.clearLayers();
    tops.forEach(function (m, k) {
      var ll = map.layerPointToLatLng(pts[k]);
      m.setLatLng(ll);
      if (pts[k].distanceTo(home[k]) > 3) {
        leaders.addLayer(L.polyline([m.agHome, ll], { pane: "ag-sites", color: "#3f1f66", weight: 1.5, interactive: false }));
        leaders.addLayer(L.circleMarker(m.agHome, { pane: "ag-sites", radius: 3, color: "#3f1f66", fillColor: "#3f1f66", fillOpacity: 1, weight: 1, interactive: false }));
      }
    });
  }
  function rect(el, margin) {
    var r = el.getBoundingClientRect();
    return { l: r.left - margin, t: r.top - margin, r: r.right + margin, b: r.bottom + margin };
  }
  function declutterLabels() {
    var wijken = byId.wijken;
    if (!wijken || !map.hasLayer(wijken.layer)) return;
    var blocks = map.hasLayer(byId.sites ? byId.sites.layer : L.layerGroup())
      ? tops.map(function (m) { return rect(m.getElement(), 2); }) : [];
    wijken.layer.agLabels.forEach(function (m) {
      var el = m.getElement();
      if (!el) return;
      el.classList.remove("ag-clash");
      var box = rect(el.firstChild, 1);
      var clash = blocks.some(function (b) { return overlap(box, b) > 0; });
      if (clash) el.classList.add("ag-clash"); else blocks.push(box);
    });
  }
  function relayout() { spreadTops(); declutterLabels(); }
  map.on("zoomend viewreset overlayadd", relayout);

  /* ---- base maps: the basemap needs network; without it, say so and show none ---- */
  var bases = {}, baseLayers = {};
  data.basemaps.forEach(function (b) {
    var t = L.tileLayer(b.url, { attribution: b.attribution, minZoom: b.minZoom, maxZoom: b.maxZoom });
    var loaded = false, warned = false;
    t.on("tileload", function () { loaded = true; });
    t.on("tileerror", function () {
      if (loaded || warned || !map.hasLayer(t)) return;
      warned = true;
      notice(ui.basemap_offline);
      map.removeLayer(t);
      bases.none.addTo(map);
    });
    bases[b.id] = t;
    baseLayers[escapeHtml(b.name)] = t;
  });
  bases.none = L.layerGroup();
  baseLayers[escapeHtml(ui["base.none"])] = bases.none;
  map.on("baselayerchange", function (e) { mapEl.classList.toggle("ag-no-basemap", e.layer === bases.none); });

  /* ---- opening view: the URL's, else the whole study area ---- */
  function viewFromHash() {
    var m = /^#(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
    if (!m) return false;
    map.setView([parseFloat(m[2]), parseFloat(m[3])], parseFloat(m[1]));
    return true;
  }
  function fitStudyArea() { map.fitBounds(data.bounds, { padding: [12, 12] }); }
  if (!viewFromHash()) fitStudyArea();
  var startOffline = navigator.onLine === false;
  (startOffline ? bases.none : bases[data.basemaps[0].id]).addTo(map);
  if (startOffline) { notice(ui.basemap_offline); mapEl.classList.add("ag-no-basemap"); }
  order.forEach(function (id) { if (byId[id].spec.show) byId[id].layer.addTo(map); });
  map.on("moveend", function () {
    var c = map.getCenter();
    var hash = "#" + (+map.getZoom().toFixed(2)) + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5);
    if (location.hash === hash) return;
    try { history.replaceState(null, "", hash); } catch (err) { /* e.g. a page shown in a srcdoc frame */ }
  });
  window.addEventListener("hashchange", viewFromHash);

  /* ---- layer list and legends, in the panel ---- */
  var control = L.control.layers(baseLayers, overlays, { collapsed: false }).addTo(map);
  document.getElementById("ag-layers").appendChild(control.getContainer());
  function syncLegends() {
    order.forEach(function (id) {
      var legend = document.querySelector('.ag-legend[data-layer="' + id + '"]');
      if (legend) legend.hidden = !map.hasLayer(byId[id].layer);
    });
  }
  map.on("overlayadd overlayremove layeradd layerremove", syncLegends);
  syncLegends();
  relayout();

  /* ---- panel folding ---- */
  function setPanel(open, quiet) {
    panel.classList.toggle("ag-collapsed", !open);
    document.getElementById("ag-toggle").setAttribute("aria-expanded", String(open));
    document.getElementById("ag-toggle").title = open ? ui["panel.hide"] : ui["panel.show"];
    if (!quiet) resized();
  }
  function resized() {
    map.invalidateSize({ pan: false });
    relayout();
  }
  document.getElementById("ag-toggle").addEventListener("click", function () {
    setPanel(panel.classList.contains("ag-collapsed"));
  });
  window.addEventListener("resize", resized);
  // The map's box also changes when a notice or the tables change the panel's size.
  if (window.ResizeObserver) new ResizeObserver(function () { resized(); }).observe(mapEl);

  /* ---- search ---- */
  var input = document.getElementById("ag-search"), results = document.getElementById("ag-results");
  var index = data.search.map(function (e) { return { e: e, key: fold(e.label) }; });
  function afterMove(fn) {
    // Once the map has moved there (or at once, when it was there already).
    var done = false;
    function run() { if (!done) { done = true; fn(); } }
    map.once("moveend", run);
    setTimeout(run, 600);
  }
  function goTo(layerId, featureId) {
    var entry = byId[layerId];
    if (!entry) return;
    if (!map.hasLayer(entry.layer)) entry.layer.addTo(map);
    var target = entry.features[featureId];
    if (!target) return;
    map.closePopup();
    hideCard();
    if (narrow.matches) setPanel(false);
    if (target.agPopup) {
      afterMove(function () { openPopup(target); });
      map.setView(target.agHome || target.getLatLng(), Math.max(map.getZoom(), 14));
    } else if (target.getBounds) {
      afterMove(function () {
        var tip = target.feature && target.feature.properties.tip;
        if (tip) showCard(tip, map.latLngToContainerPoint(target.getBounds().getCenter()), true);
      });
      map.fitBounds(target.getBounds(), { padding: [30, 30], maxZoom: 15 });
    }
  }
  function showResults() {
    var q = fold(input.value.trim());
    results.innerHTML = "";
    if (!q) return;
    var found = index.filter(function (x) { return x.key.indexOf(q) >= 0; });
    found.sort(function (a, b) { return (a.key.indexOf(q) === 0 ? 0 : 1) - (b.key.indexOf(q) === 0 ? 0 : 1); });
    if (!found.length) {
      var none = document.createElement("li");
      none.className = "ag-empty";
      none.textContent = ui["search.none"];
      results.appendChild(none);
    }
    found.slice(0, 8).forEach(function (x) {
      var li = document.createElement("li"), b = document.createElement("button"), s = document.createElement("small");
      b.type = "button";
      b.textContent = x.e.label;
      s.textContent = x.e.kind;
      b.appendChild(s);
      b.addEventListener("click", function () { results.innerHTML = ""; goTo(x.e.layer, x.e.feature); });
      li.appendChild(b);
      results.appendChild(li);
    });
  }
  input.addEventListener("input", showResults);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { var first = results.querySelector("button"); if (first) first.click(); }
    if (e.key === "Escape") { input.value = ""; results.innerHTML = ""; }
  });

  /* ---- tables with sorting and a CSV download ---- */
  var tablesBox = document.getElementById("ag-tables");
  function csvCell(s, sep) {
    s = String(s);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;  // a spreadsheet must not read it as a formula
    return (s.indexOf(sep) >= 0 || /["\n\r]/.test(s)) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function download(table, rows) {
    var sep = data.lang === "nl" ? ";" : ",";
    var lines = [table.columns.map(function (c) { return csvCell(c.label, sep); }).join(sep)];
    rows.forEach(function (r) { lines.push(r.cells.map(function (c) { return csvCell(c, sep); }).join(sep)); });
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = table.file;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }
  function compare(a, b, k, dir) {
    var x = a.sort[k], y = b.sort[k];
    if (x === null || x === undefined) return (y === null || y === undefined) ? 0 : 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  }
  function renderTable(table, holder) {
    var rows = table.rows.slice(), sortKey = -1, dir = 1;
    holder.innerHTML = "";
    var dl = document.createElement("button");
    dl.type = "button";
    dl.className = "ag-download";
    dl.textContent = ui["table.download"];
    dl.addEventListener("click", function () { download(table, rows); });
    var wrap = document.createElement("div"), t = document.createElement("table"), thead = t.createTHead(), tbody = t.createTBody();
    wrap.className = "ag-table-wrap";
    t.className = "ag-table";
    var hr = thead.insertRow();
    function fill() {
      tbody.innerHTML = "";
      rows.forEach(function (r) {
        var tr = tbody.insertRow();
        r.cells.forEach(function (c, k) {
          var td = tr.insertCell();
          td.textContent = c;
          if (table.columns[k].numeric) td.className = "ag-num";
        });
        tr.addEventListener("click", function () { goTo(r.layer, r.feature); });
      });
    }
    table.columns.forEach(function (c, k) {
      var th = document.createElement("th"), b = document.createElement("button");
      th.setAttribute("aria-sort", "none");
      b.type = "button";
      b.textContent = c.label;
      b.title = ui["table.sort"];
      b.addEventListener("click", function () {
        dir = sortKey === k ? -dir : 1;
        sortKey = k;
        rows.sort(function (x, y) { return compare(x, y, k, dir); });
        Array.prototype.forEach.call(hr.children, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        fill();
      });
      th.appendChild(b);
      hr.appendChild(th);
    });
    fill();
    wrap.appendChild(t);
    holder.appendChild(dl);
    holder.appendChild(wrap);
  }
  if (tablesBox && data.tables.length) {
    var tabs = document.createElement("div"), holder = document.createElement("div");
    tabs.className = "ag-tabs";
    data.tables.forEach(function (table, k) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = table.title;
      b.dataset.table = table.id;
      b.addEventListener("click", function () {
        Array.prototype.forEach.call(tabs.children, function (x) { x.setAttribute("aria-pressed", "false"); });
        b.setAttribute("aria-pressed", "true");
        renderTable(table, holder);
      });
      b.setAttribute("aria-pressed", String(k === 0));
      tabs.appendChild(b);
    });
    tablesBox.appendChild(tabs);
    tablesBox.appendChild(holder);
    renderTable(data.tables[0], holder);
    tablesBox.closest("details").addEventListener("toggle", function (e) {
      panel.classList.toggle("ag-wide", e.target.open && !narrow.matches);
      resized();
    });
  }

  window.agMap = { map: map, layers: byId, tops: tops, goTo: goTo, fitStudyArea: fitStudyArea };
})();
