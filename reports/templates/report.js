// schema-check report: findings filters, search and grouping; FK graph layouts, zoom/pan/highlight.
// Reads the page's own DOM only; never builds HTML from text (textContent only).
(function () {
  "use strict";

  // ---- Findings: filters by severity, family, layer, a text search, and grouping by rule ----
  var table = document.getElementById("findings-table");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr.finding"));
    rows.sort(function (a, b) { return a.getAttribute("data-order") - b.getAttribute("data-order"); });
    var flatBody = table.querySelector("tbody.flat-rows");
    var groupBodies = {};
    table.querySelectorAll("tbody.group").forEach(function (body) { groupBodies[body.id] = body; });
    var search = document.getElementById("finding-search");
    var shown = document.getElementById("finding-shown");
    var noMatch = document.getElementById("no-match");
    var groups = document.querySelectorAll(".filters .filter-group[data-filter]");
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    // A row's group: its rule at its severity (the ids the template gives the groups).
    var groupOf = function (row) {
      return "g-" + row.getAttribute("data-code").replace(/[^A-Za-z0-9_-]/g, "_") + "-" + row.getAttribute("data-severity");
    };

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
      var visible = 0, perGroup = {};
      rows.forEach(function (row, index) {
        var ok = (!severity || severity[row.getAttribute("data-severity")]) &&
          (!family || family[row.getAttribute("data-code").slice(0, 2)]) &&
          (!layer || layer[row.getAttribute("data-layer")]) &&
          terms.every(function (term) { return texts[index].indexOf(term) !== -1; });
        row.hidden = !ok;
        if (ok) {
          visible += 1;
          var code = groupOf(row);
          perGroup[code] = (perGroup[code] || 0) + 1;
        }
      });
      Object.keys(groupBodies).forEach(function (code) {
        var body = groupBodies[code], count = perGroup[code] || 0;
        var total = body.getAttribute("data-total");
        body.hidden = count === 0;
        var note = body.querySelector(".group-shown");
        if (note) { note.textContent = count + "" === total ? "" : count + " of " + total + " shown"; }
      });
      // A search looks inside collapsed groups: their matching rows show.
      table.classList.toggle("searching", terms.length > 0);
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
    if (search) {
      var pending = null;
      search.addEventListener("input", function () {
        if (pending !== null) { clearTimeout(pending); }
        pending = setTimeout(function () { pending = null; apply(); }, rows.length > 200 ? 120 : 0);
      });
    }

    // List or grouped: the same row elements move between the flat body and their group.
    var setListView = function (grouped) {
      var fragment;
      if (grouped) {
        rows.forEach(function (row) { groupBodies[groupOf(row)].appendChild(row); });
      } else {
        fragment = document.createDocumentFragment();
        rows.forEach(function (row) { fragment.appendChild(row); });
        flatBody.appendChild(fragment);
      }
      table.classList.toggle("grouped", grouped);
      document.querySelectorAll(".view-bar button[data-view]").forEach(function (button) {
        button.setAttribute("aria-pressed", (button.getAttribute("data-view") === "grouped") === grouped ? "true" : "false");
      });
    };
    document.querySelectorAll(".view-bar button[data-view]").forEach(function (button) {
      button.addEventListener("click", function () { setListView(button.getAttribute("data-view") === "grouped"); });
    });
    var setCollapsed = function (body, collapsed) {
      body.classList.toggle("collapsed", collapsed);
      var toggle = body.querySelector(".group-toggle");
      if (toggle) { toggle.setAttribute("aria-expanded", collapsed ? "false" : "true"); }
    };
    table.addEventListener("click", function (event) {
      var toggle = event.target.closest(".group-toggle");
      if (!toggle) { return; }
      var body = toggle.closest("tbody.group");
      setCollapsed(body, !body.classList.contains("collapsed"));
    });
    document.querySelectorAll(".view-bar button[data-groups]").forEach(function (button) {
      button.addEventListener("click", function () {
        var collapse = button.getAttribute("data-groups") === "collapse";
        if (!table.classList.contains("grouped")) { setListView(true); }
        Object.keys(groupBodies).forEach(function (code) { setCollapsed(groupBodies[code], collapse); });
      });
    });

    // Filter state lives in the URL (#filter:severity=error&q=...), so a filtered view
    // can be linked; a finding's own anchor (#f-...) opens its group and shows it.
    var readState = function () {
      var hash = decodeURIComponent(location.hash || "");
      if (hash.indexOf("#filter:") !== 0) { return; }
      hash.slice(8).split("&").forEach(function (pair) {
        var at = pair.indexOf("="), key = pair.slice(0, at), value = pair.slice(at + 1);
        if (key === "q" && search) { search.value = value; return; }
        var group = document.querySelector('.filter-group[data-filter="' + key + '"]');
        if (!group) { return; }
        var on = {};
        value.split(",").forEach(function (v) { on[v] = true; });
        group.querySelectorAll("button[data-value]").forEach(function (button) {
          button.setAttribute("aria-pressed", on[button.getAttribute("data-value")] ? "true" : "false");
        });
      });
    };
    var writeState = function () {
      var parts = [];
      ["severity", "family", "layer"].forEach(function (name) {
        var group = document.querySelector('.filter-group[data-filter="' + name + '"]');
        if (!group) { return; }
        var all = group.querySelectorAll("button[data-value]:not([disabled])");
        var on = Array.prototype.filter.call(all, function (b) { return b.getAttribute("aria-pressed") === "true"; });
        if (on.length !== all.length) {
          parts.push(name + "=" + on.map(function (b) { return b.getAttribute("data-value"); }).join(","));
        }
      });
      if (search && search.value) { parts.push("q=" + search.value); }
      var hash = parts.length ? "#filter:" + encodeURIComponent(parts.join("&")).replace(/%3D/g, "=").replace(/%26/g, "&").replace(/%2C/g, ",") : "";
      if (hash !== location.hash && (hash || location.hash.indexOf("#filter:") === 0)) {
        history.replaceState(null, "", hash || location.pathname + location.search);
      }
    };
    var showTarget = function () {
      var id = (location.hash || "").slice(1);
      if (id.indexOf("f-") !== 0) { return; }
      var row = document.getElementById(id);
      if (!row || !table.contains(row)) { return; }
      var body = row.closest("tbody.group");
      if (body) { setCollapsed(body, false); }
      rows.forEach(function (r) { r.classList.toggle("targeted", r === row); });
      if (row.hidden) { row.hidden = false; }
      row.scrollIntoView({ block: "center" });
    };
    readState();
    groups.forEach(function (group) { group.addEventListener("click", writeState); });
    if (search) { search.addEventListener("input", writeState); }
    window.addEventListener("hashchange", showTarget);
    apply();
    showTarget();
  }

  // ---- Table panels: built from the page's JSON block when opened (textContent only) ----
  var tableData = null, tableIds = {};
  var make = function (tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  };
  var markOf = function (changed) {
    var span = make("span", changed, "changed changed-" + changed);
    span.title = "the change " + changed + " it";
    return span;
  };
  var tableLink = function (name) {
    var id = tableIds[name];
    var bdi = make("bdi", name);
    if (!id) { return bdi; }
    var link = make("a");
    link.href = "#" + id;
    link.appendChild(bdi);
    return link;
  };
  // rows: [name, ...cells, changed]; links / actions: cell positions (1 = first cell).
  var grid = function (header, rows, links, action) {
    var table = make("table", null, "panel-rows");
    var head = table.createTHead().insertRow();
    header.forEach(function (h) { var th = make("th", h); th.scope = "col"; head.appendChild(th); });
    var body = table.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      var changed = row[row.length - 1];
      if (changed) { tr.className = "row-changed"; }
      var first = tr.insertCell();
      first.appendChild(make("bdi", row[0]));
      if (changed) { first.appendChild(document.createTextNode(" ")); first.appendChild(markOf(changed)); }
      for (var i = 1; i < row.length - 1; i += 1) {
        var cell = tr.insertCell();
        if (links && links.indexOf(i) !== -1) { cell.appendChild(tableLink(row[i])); } else { cell.textContent = row[i]; }
        if (i === action) { cell.className = "fk-action"; }
      }
    });
    return table;
  };
  var buildPanel = function (panel) {
    if (!panel || panel.getAttribute("data-built")) { return; }
    if (tableData === null) {
      var block = document.getElementById("table-data");
      tableData = block ? JSON.parse(block.textContent) : {};
      document.querySelectorAll(".table-panel").forEach(function (p) { tableIds[p.getAttribute("data-table")] = p.id; });
    }
    var data = tableData[panel.id];
    if (!data) { return; }
    panel.setAttribute("data-built", "1");
    var body = panel.querySelector(".panel-body");
    body.textContent = "";
    var facts = make("p", null, "panel-facts");
    if (data.created) { facts.appendChild(document.createTextNode("created at ")); facts.appendChild(make("code", data.created)); }
    if (data.changed) { facts.appendChild(document.createTextNode("; last changed at ")); facts.appendChild(make("code", data.changed)); }
    facts.appendChild(document.createTextNode(" · "));
    var near = make("button", "Show its neighbourhood in the graph", "link-button neighbourhood-button");
    near.type = "button";
    near.setAttribute("data-node", panel.getAttribute("data-node"));
    facts.appendChild(near);
    body.appendChild(facts);
    if (data.comment) { body.appendChild(make("p", data.comment, "comment")); }
    if (data.dropped && data.dropped.length) {
      var gone = make("p", null, "dropped");
      gone.appendChild(make("span", "dropped", "changed changed-dropped"));
      gone.appendChild(document.createTextNode(" by the change: "));
      data.dropped.forEach(function (what, index) {
        if (index) { gone.appendChild(document.createTextNode(", ")); }
        gone.appendChild(make("bdi", what));
      });
      body.appendChild(gone);
    }
    var section = function (title, table) { body.appendChild(make("h4", title)); body.appendChild(table); };
    section("Columns", grid(data.columns[0], data.columns.slice(1)));
    if (data.indexes.length > 1) { section("Indexes", grid(data.indexes[0], data.indexes.slice(1))); }
    if (data.constraints.length) { section("Constraints", grid(["Constraint", "Kind", "Definition"], data.constraints)); }
    if (data.outgoing.length) {
      section("References (outgoing foreign keys)", grid(["Constraint", "Columns", "Parent", "Parent columns", "ON DELETE"], data.outgoing, [2], 4));
    }
    if (data.incoming.length) {
      section("Referenced by (incoming foreign keys)", grid(["Constraint", "Child", "Child columns", "Columns", "ON DELETE"], data.incoming, [1], 4));
    }
    if (data.triggers.length) { section("Triggers", grid(["Trigger", "When", "Rows", "Function"], data.triggers)); }
    if (data.views.length) {
      var views = make("p");
      data.views.forEach(function (view, index) {
        if (index) { views.appendChild(document.createTextNode(", ")); }
        views.appendChild(make("bdi", view));
      });
      section("Read by views", views);
    }
    if (data.findings.length) {
      var list = make("p", null, "panel-findings");
      data.findings.forEach(function (finding) {
        var link = make("a", finding[2] + (finding[3] > 1 ? " ×" + finding[3] : ""), "sev-num sev-" + finding[1]);
        link.href = "#" + finding[0];
        link.title = "the first of them";
        list.appendChild(link);
        list.appendChild(document.createTextNode(" "));
      });
      var all = make("a", "show them in the list");
      all.href = "#filter:q=" + encodeURIComponent(panel.getAttribute("data-table"));
      list.appendChild(all);
      section("Findings that name it", list);
    }
  };
  var tableListBox = document.getElementById("table-list");
  if (tableListBox) {
    tableListBox.addEventListener("toggle", function (event) {
      if (event.target.open && event.target.classList.contains("table-panel")) { buildPanel(event.target); }
    }, true);
  }

  // ---- Anchors to folded parts (a rule's docs, a table's panel) open them ----
  var openTarget = function () {
    var id = decodeURIComponent((location.hash || "").slice(1));
    if (!id || id.indexOf("filter:") === 0) { return; }
    var target = document.getElementById(id);
    if (!target) { return; }
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    if (target.classList.contains("table-panel")) { target.hidden = false; buildPanel(target); }
    if (id.indexOf("f-") !== 0) { target.scrollIntoView({ block: "start" }); }
  };
  window.addEventListener("hashchange", openTarget);
  openTarget();

  // ---- Tables: the alphabetical list's search, and "only what the change touches" ----
  var tableSearch = document.getElementById("table-search");
  var tableList = document.getElementById("table-list");
  if (tableSearch && tableList) {
    var panels = Array.prototype.slice.call(tableList.querySelectorAll(".table-panel"));
    var changedOnly = document.getElementById("table-changed-only");
    var tableShown = document.getElementById("table-shown");
    var noTable = document.getElementById("no-table");
    var filterTables = function () {
      var term = tableSearch.value.trim().toLowerCase();
      var only = changedOnly ? changedOnly.checked : false;
      var count = 0;
      panels.forEach(function (panel) {
        var ok = (panel.getAttribute("data-table") || "").toLowerCase().indexOf(term) !== -1 &&
          (!only || panel.getAttribute("data-changed"));
        panel.hidden = !ok;
        if (ok) { count += 1; }
      });
      if (tableShown) { tableShown.textContent = count + " of " + panels.length + " tables"; }
      if (noTable) { noTable.hidden = count !== 0; }
    };
    tableSearch.addEventListener("input", filterTables);
    if (changedOnly) { changedOnly.addEventListener("change", filterTables); }
  }

  // ---- Copy buttons: a fix's SQL to the clipboard ----
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy-button") : null;
    if (!button) { return; }
    var source = button.previousElementSibling;
    var text = source ? source.textContent : "";
    var done = function () { button.textContent = "Copied"; button.classList.add("copied"); };
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { button.textContent = "Select and copy"; }
      document.body.removeChild(area);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });

  // ---- FK graph: layouts (focus / all), wheel and buttons zoom, drag pans, hover highlights ----
  var svg = document.getElementById("fk-graph");
  if (svg) {
    var frame = svg.parentElement;
    var layouts = Array.prototype.slice.call(svg.querySelectorAll("g.layout"));
    var current = layouts.filter(function (g) { return !g.hasAttribute("display"); })[0] || layouts[0];
    var full = { x: 0, y: 0, w: 0, h: 0 };
    var view = { x: 0, y: 0, w: 0, h: 0 };
    var applyViewBox = function () {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (v) { return v.toFixed(1); }).join(" "));
    };
    var fit = function () {
      full = { x: 0, y: 0, w: parseFloat(current.getAttribute("data-width")), h: parseFloat(current.getAttribute("data-height")) };
      view = { x: full.x, y: full.y, w: full.w, h: full.h };
      applyViewBox();
    };
    var afterLayout = null;  // set by "find a table", which keeps its highlight across layouts
    var showLayout = function (name) {
      layouts.forEach(function (g) {
        if (g.getAttribute("data-layout") === name) { g.removeAttribute("display"); current = g; } else { g.setAttribute("display", "none"); }
      });
      frame.style.height = current.getAttribute("data-frame") + "px";
      document.querySelectorAll(".graph-toolbar button[data-layout]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.getAttribute("data-layout") === name ? "true" : "false");
      });
      fit();
      if (afterLayout) { afterLayout(); }
    };
    fit();
    document.querySelectorAll(".graph-toolbar button[data-layout]").forEach(function (button) {
      button.addEventListener("click", function () { showLayout(button.getAttribute("data-layout")); });
    });
    var zoom = function (factor, cx, cy) {
      var w = Math.min(full.w * 4, Math.max(80, view.w * factor));
      var h = view.h * (w / view.w);
      view.x = cx - (cx - view.x) * (w / view.w);
      view.y = cy - (cy - view.y) * (h / view.h);
      view.w = w; view.h = h;
      applyViewBox();
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
        if (kind === "reset") { fit(); return; }
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
      applyViewBox();
    });
    window.addEventListener("pointerup", function () { drag = null; frame.classList.remove("dragging"); });

    // ---- Neighbourhood: one table and the tables within 1-2 foreign keys of it, fitted
    // to the frame so their labels read; "All tables" (or Fit) returns to the layout.
    var neighbourhood = document.getElementById("neighbourhood");
    var depthInput = document.getElementById("graph-depth");
    var centreKey = null;
    var clearNeighbourhood = function () {
      centreKey = null;
      svg.classList.remove("near");
      svg.querySelectorAll(".edge-label").forEach(function (label) { label.parentNode.removeChild(label); });
      svg.querySelectorAll(".faded").forEach(function (el) { el.classList.remove("faded"); });
      svg.querySelectorAll(".node.centre").forEach(function (el) { el.classList.remove("centre"); });
      if (neighbourhood) { neighbourhood.hidden = true; }
    };
    var showNeighbourhood = function (key) {
      var all = layouts.filter(function (g) { return g.getAttribute("data-layout") === "all"; })[0] || layouts[0];
      if (current !== all) { showLayout(all.getAttribute("data-layout")); }
      centreKey = key;
      var depth = depthInput ? parseInt(depthInput.value, 10) || 1 : 1;
      var edges = Array.prototype.slice.call(all.querySelectorAll(".edge"));
      var near = {};
      near[key] = true;
      for (var step = 0; step < depth; step += 1) {
        var next = {};
        edges.forEach(function (edge) {
          var child = edge.getAttribute("data-child"), parent = edge.getAttribute("data-parent");
          if (near[child]) { next[parent] = true; }
          if (near[parent]) { next[child] = true; }
        });
        Object.keys(next).forEach(function (k) { near[k] = true; });
      }
      var box = null;
      all.querySelectorAll(".node").forEach(function (node) {
        var inside = !!near[node.id];
        node.classList.toggle("faded", !inside);
        node.classList.toggle("centre", node.id === key);
        if (!inside) { return; }
        var move = node.transform.baseVal.consolidate();
        var rect = node.querySelector("rect");
        var x = move ? move.matrix.e : 0, y = move ? move.matrix.f : 0;
        var w = rect.width.baseVal.value, h = rect.height.baseVal.value;
        box = box ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x + w), y1: Math.max(box.y1, y + h) } : { x0: x, y0: y, x1: x + w, y1: y + h };
      });
      svg.querySelectorAll(".edge-label").forEach(function (label) { label.parentNode.removeChild(label); });
      edges.forEach(function (edge) {
        var shown = !!(near[edge.getAttribute("data-child")] && near[edge.getAttribute("data-parent")]);
        edge.classList.toggle("faded", !shown);
        // Label each shown reference with its columns, a quarter of the way from the child.
        if (shown && edge.getAttribute("data-columns")) {
          var at = edge.getPointAtLength(edge.getTotalLength() * 0.25);
          var label = document.createElementNS("http://www.w3.org/2000/svg", "text");
          label.setAttribute("class", "edge-label");
          label.setAttribute("x", at.x.toFixed(1));
          label.setAttribute("y", at.y.toFixed(1));
          label.textContent = edge.getAttribute("data-columns");
          edge.parentNode.appendChild(label);
        }
      });
      svg.classList.add("near");
      if (box) {
        var pad = 30;
        view = { x: box.x0 - pad, y: box.y0 - pad, w: Math.max(240, box.x1 - box.x0 + 2 * pad), h: Math.max(120, box.y1 - box.y0 + 2 * pad) };
        applyViewBox();
      }
      if (neighbourhood) {
        var centreNode = document.getElementById(key);
        neighbourhood.hidden = false;
        neighbourhood.querySelector(".neighbourhood-name").textContent = centreNode ? (centreNode.getAttribute("data-table") || centreNode.getAttribute("data-object")) : "";
        // Views and functions (reached over dashed dependency edges) are counted apart.
        var objects = Object.keys(near).filter(function (k) { return k.indexOf("o-") === 0; }).length;
        var tables = Object.keys(near).length - objects;
        neighbourhood.querySelector(".neighbourhood-count").textContent = tables + (tables === 1 ? " table" : " tables") +
          (objects ? ", " + objects + (objects === 1 ? " view or function" : " views and functions") : "");
      }
    };
    if (depthInput) {
      depthInput.addEventListener("change", function () { if (centreKey) { showNeighbourhood(centreKey); } });
    }
    document.querySelectorAll("[data-neighbourhood-clear]").forEach(function (button) {
      button.addEventListener("click", function () { clearNeighbourhood(); fit(); });
    });
    document.querySelectorAll(".graph-toolbar button[data-layout], .graph-toolbar button[data-zoom='reset']").forEach(function (button) {
      button.addEventListener("click", clearNeighbourhood);
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest(".neighbourhood-button") : null;
      if (!button) { return; }
      showNeighbourhood(button.getAttribute("data-node"));
      document.getElementById("graph").scrollIntoView({ block: "start" });
    });
    // A table in the graph opens its panel (a double click shows its neighbourhood).
    svg.addEventListener("click", function (event) {
      var node = event.target.closest ? event.target.closest(".node") : null;
      if (!node) { return; }
      var key = node.id.replace(/^f-/, "t-");
      var panel = document.getElementById("p-" + key.slice(2));
      if (panel) { location.hash = panel.id; }
    });
    svg.addEventListener("dblclick", function (event) {
      var node = event.target.closest ? event.target.closest(".node") : null;
      // The focus layout's ids (f-, fo-) name the same table or object as the full one's (t-, o-).
      if (node) { showNeighbourhood(node.id.replace(/^f-/, "t-").replace(/^fo-/, "o-")); }
    });

    layouts.forEach(function (layout) {
      var edges = Array.prototype.slice.call(layout.querySelectorAll(".edge"));
      layout.querySelectorAll(".node").forEach(function (node) {
        node.addEventListener("mouseenter", function () {
          var id = node.id;
          svg.classList.add("hovering");
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
          svg.classList.remove("hovering");
          svg.querySelectorAll(".hl").forEach(function (el) { el.classList.remove("hl"); });
        });
      });
    });
  }

  // ---- FK graph: find a table. Typing highlights the tables whose name contains the text
  // (in every layout); Enter or a picked suggestion centres the view on one, switching to a
  // layout that shows it when the current one does not; Escape clears. Names are read from
  // data-table and written with textContent only.
  var find = document.getElementById("graph-find");
  if (svg && find) {
    var findStatus = document.getElementById("graph-find-status");
    var allNodes = Array.prototype.slice.call(svg.querySelectorAll(".node"));
    var cycle = { term: "", layout: null, index: 0, picked: false };
    var findTerm = function () { return find.value.trim().toLowerCase(); };
    var nameOf = function (node) { return (node.getAttribute("data-table") || "").toLowerCase(); };
    var matchesIn = function (layout, term) {
      return Array.prototype.slice.call(layout.querySelectorAll(".node")).filter(function (node) {
        return nameOf(node).indexOf(term) !== -1;
      });
    };
    // Exact names first, then names that start with the text, then the rest (page order).
    var rank = function (node, term) {
      var name = nameOf(node);
      return name === term ? 0 : (name.indexOf(term) === 0 ? 1 : 2);
    };
    var say = function (text) { if (findStatus) { findStatus.textContent = text; } };
    var highlight = function () {
      var term = findTerm();
      svg.classList.toggle("finding", term !== "");
      allNodes.forEach(function (node) {
        var hit = term !== "" && nameOf(node).indexOf(term) !== -1;
        node.classList.toggle("found", hit);
        if (!hit) { node.classList.remove("target"); }
      });
      if (!term) { say(""); return; }
      var here = matchesIn(current, term).length;
      if (here) {
        say(here + (here === 1 ? " table matches" : " tables match"));
      } else if (layouts.some(function (g) { return g !== current && matchesIn(g, term).length; })) {
        say("not in this view; Enter shows all tables");
      } else {
        say("no table matches");
      }
    };
    var centre = function (node) {
      var move = node.transform.baseVal.consolidate();
      var rect = node.querySelector("rect");
      var x = move ? move.matrix.e : 0, y = move ? move.matrix.f : 0;
      var w = rect ? rect.width.baseVal.value : 0, h = rect ? rect.height.baseVal.value : 0;
      var box = svg.getBoundingClientRect();
      var aspect = box.width > 0 && box.height > 0 ? box.height / box.width : view.h / view.w;
      // About one and a half times the natural size: the table and its neighbours stay
      // readable; never wider than the whole layout.
      var width = Math.min(full.w, Math.max(w * 3, (box.width || 900) / 1.5));
      view = { x: x + w / 2 - width / 2, y: y + h / 2 - width * aspect / 2, w: width, h: width * aspect };
      applyViewBox();
    };
    var reveal = function (step) {
      var term = findTerm();
      if (!term) { return; }
      var found = matchesIn(current, term);
      if (!found.length) {
        var other = layouts.filter(function (g) { return matchesIn(g, term).length > 0; })[0];
        if (!other) { return; }
        showLayout(other.getAttribute("data-layout"));
        found = matchesIn(current, term);
      }
      found.sort(function (a, b) { return rank(a, term) - rank(b, term); });
      // The Enter that picks a suggestion may reach the box too: it keeps the picked table.
      var repeat = cycle.picked && step !== 0;
      if (step === 0 || cycle.term !== term || cycle.layout !== current) {
        cycle = { term: term, layout: current, index: 0, picked: step === 0 };
      } else if (repeat) {
        cycle.picked = false;
      } else {
        cycle.index = (cycle.index + step + found.length) % found.length;
      }
      var node = found[cycle.index];
      allNodes.forEach(function (n) { n.classList.remove("target"); });
      node.classList.add("target");
      centre(node);
      say((found.length > 1 ? (cycle.index + 1) + " of " + found.length + ": " : "") + node.getAttribute("data-table"));
    };
    afterLayout = highlight;
    find.addEventListener("input", function (event) {
      highlight();
      // A suggestion picked from the list arrives as a replacement (or a plain event), not typing.
      if (!(event instanceof InputEvent) || event.inputType === "insertReplacementText") { reveal(0); }
    });
    find.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        reveal(event.shiftKey ? -1 : 1);
      } else if (event.key === "Escape" && find.value !== "") {
        event.preventDefault();
        find.value = "";
        cycle = { term: "", layout: null, index: 0, picked: false };
        highlight();
      }
    });
  }

  // ---- Printing: open every collapsed detail so the paper copy is complete ----
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
  });
})();
