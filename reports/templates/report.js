// schema-check report: findings filters and search, FK graph zoom/pan/highlight.
// Reads the page's own DOM only; never builds HTML from text (textContent only).
(function () {
  "use strict";

  // ---- Findings: filters by severity, family, layer, and a text search ----
  var table = document.getElementById("findings-table");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.finding"));
    var search = document.getElementById("finding-search");
    var shown = document.getElementById("finding-shown");
    var noMatch = document.getElementById("no-match");
    var groups = document.querySelectorAll(".filters .filter-group[data-filter]");
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });

    var active = function (name) {
      var group = document.querySelector('.filter-group[data-filter="' + name + '"]');
      var on = {};
      if (!group) { return null; }
      group.querySelectorAll("button[data-value]").forEach(function (button) {
        if (button.getAttribute("aria-pressed") === "true") { on[button.getAttribute("data-value")] = true; }
      });
      return on;
    };

    var apply = function () {
      var severity = active("severity"), family = active("family"), layer = active("layer");
      var terms = (search ? search.value : "").toLowerCase().split(/\s+/).filter(Boolean);
      var visible = 0;
      rows.forEach(function (row, index) {
        var ok = (!severity || severity[row.getAttribute("data-severity")]) &&
          (!family || family[row.getAttribute("data-family")]) &&
          (!layer || layer[row.getAttribute("data-layer")]) &&
          terms.every(function (term) { return texts[index].indexOf(term) !== -1; });
        row.hidden = !ok;
        if (ok) { visible += 1; }
      });
      if (shown) { shown.textContent = visible + " of " + rows.length + " shown"; }
      if (noMatch) { noMatch.hidden = visible !== 0; }
    };

    groups.forEach(function (group) {
      group.addEventListener("click", function (event) {
        var button = event.target.closest("button[data-value]");
        if (!button || button.disabled) { return; }
        var buttons = group.querySelectorAll("button[data-value]:not([disabled])");
        var pressed = group.querySelectorAll('button[data-value][aria-pressed="true"]:not([disabled])');
        // Alt-click (or a click when everything is on) shows only that value;
        // a plain click toggles it.
        if (event.altKey || pressed.length === buttons.length) {
          buttons.forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
        } else {
          var on = button.getAttribute("aria-pressed") === "true";
          button.setAttribute("aria-pressed", on ? "false" : "true");
          if (group.querySelectorAll('button[aria-pressed="true"]').length === 0) {
            buttons.forEach(function (b) { b.setAttribute("aria-pressed", "true"); });
          }
        }
        apply();
      });
    });
    if (search) { search.addEventListener("input", apply); }
    apply();
  }

  // ---- FK graph: wheel and buttons zoom, drag pans, hover highlights ----
  var svg = document.getElementById("fk-graph");
  if (svg) {
    var frame = svg.parentElement;
    var full = { x: 0, y: 0, w: parseFloat(svg.getAttribute("data-width")), h: parseFloat(svg.getAttribute("data-height")) };
    var view = { x: full.x, y: full.y, w: full.w, h: full.h };
    var setView = function () {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) { return v.toFixed(1); }).join(" "));
    };
    var zoom = function (factor, cx, cy) {
      var w = Math.min(full.w * 4, Math.max(80, view.w * factor));
      var h = view.h * (w / view.w);
      view.x = cx - (cx - view.x) * (w / view.w);
      view.y = cy - (cy - view.y) * (h / view.h);
      view.w = w; view.h = h;
      setView();
    };
    var toGraph = function (clientX, clientY) {
      var box = svg.getBoundingClientRect();
      var scale = Math.max(view.w / box.width, view.h / box.height);
      var offsetX = (box.width * scale - view.w) / 2, offsetY = (box.height * scale - view.h) / 2;
      return { x: view.x - offsetX + (clientX - box.left) * scale, y: view.y - offsetY + (clientY - box.top) * scale, scale: scale };
    };
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = toGraph(event.clientX, event.clientY);
      zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
    document.querySelectorAll(".graph-toolbar button[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var kind = button.getAttribute("data-zoom");
        if (kind === "reset") { view = { x: full.x, y: full.y, w: full.w, h: full.h }; setView(); return; }
        zoom(kind === "in" ? 1 / 1.3 : 1.3, view.x + view.w / 2, view.y + view.h / 2);
      });
    });
    var drag = null;
    svg.addEventListener("pointerdown", function (event) {
      drag = toGraph(event.clientX, event.clientY);
      drag.vx = view.x; drag.vy = view.y; drag.cx = event.clientX; drag.cy = event.clientY;
      frame.classList.add("dragging");
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      view.x = drag.vx - (event.clientX - drag.cx) * drag.scale;
      view.y = drag.vy - (event.clientY - drag.cy) * drag.scale;
      setView();
    });
    window.addEventListener("pointerup", function () { drag = null; frame.classList.remove("dragging"); });

    var edges = Array.prototype.slice.call(svg.querySelectorAll(".edge"));
    svg.querySelectorAll(".node").forEach(function (node) {
      node.addEventListener("mouseenter", function () {
        var id = node.id;
        svg.classList.add("focus");
        node.classList.add("hl");
        edges.forEach(function (edge) {
          var child = edge.getAttribute("data-child"), parent = edge.getAttribute("data-parent");
          if (child === id || parent === id) {
            edge.classList.add("hl");
            var other = document.getElementById(child === id ? parent : child);
            if (other) { other.classList.add("hl"); }
          }
        });
      });
      node.addEventListener("mouseleave", function () {
        svg.classList.remove("focus");
        svg.querySelectorAll(".hl").forEach(function (el) { el.classList.remove("hl"); });
      });
    });
  }

  // ---- Printing: open every collapsed detail so the paper copy is complete ----
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
})();
