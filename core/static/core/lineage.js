/* The lineage explorer's picture (workspace/templates/workspace/lineage/explorer.html).
 * Draws the capped neighbourhood the page embeds (#lineage-data) with cytoscape.js and a dagre
 * layout: datasets folded by default (the asked-about column's unfolded), unfolding to their
 * columns on a click; one more hop from any column on demand (/lineage/picture/); DIRECT edges
 * solid, INDIRECT dashed, masking edges red with a "masked" label; the path between two columns
 * highlighted (/lineage/paths/). The server caps every answer: what is not drawn is a
 * "+N more" node that opens the list. No build step, no other dependency. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lineage-data").textContent);
  var words = JSON.parse(document.getElementById("lineage-words").textContent);
  var box = document.getElementById("lineage-picture");
  var panel = document.getElementById("lineage-panel");
  var kind = data.kind;
  var types = new URLSearchParams(location.search).get("types") || "all";
  var nodes = {}, edges = {}, more = {}, expanded = {}, show = { DIRECT: true, INDIRECT: true };
  var onPath = {};

  function say(template, n) { return template.replace("%(n)s", n); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function merge(part, anchor) {
    part.nodes.forEach(function (n) { nodes[n.id] = Object.assign(nodes[n.id] || {}, n); });
    part.edges.forEach(function (e) { edges[e.id] = e; });
    if (part.more) {
      ["upstream", "downstream"].forEach(function (d) {
        if (part.more[d]) more[anchor + ":" + d] = { anchor: anchor, direction: d, n: part.more[d] };
      });
    }
  }

  function columnsOf(datasetId) {
    return Object.keys(nodes).filter(function (id) { return nodes[id].parent === datasetId; });
  }

  // The elements as drawn now: folded datasets stand for their columns.
  function elements() {
    var out = [], seen = {};
    function at(id) {
      var n = nodes[id];
      return n && n.parent && !expanded[n.parent] ? n.parent : id;
    }
    Object.keys(nodes).forEach(function (id) {
      var n = nodes[id];
      if (n.kind === "dataset") {
        var count = columnsOf(id).length;
        var label = n.label + (kind === "field" && !expanded[id] ? "\n" + say(words.columns, count) : "");
        out.push({ data: { id: id, label: label, kind: "dataset", role: n.role || "" },
                   classes: (expanded[id] ? "open" : "folded") + (onPath[id] ? " path" : "") });
      } else if (!n.parent || expanded[n.parent]) {
        out.push({ data: { id: id, label: n.label, parent: n.parent, kind: "field", role: n.role || "" },
                   classes: (n.role === "root" ? "root" : "") + (onPath[id] ? " path" : "") });
      }
    });
    Object.keys(edges).forEach(function (id) {
      var e = edges[id];
      if (!show[e.type]) return;
      var s = at(e.source), t = at(e.target);
      if (s === t) return;
      var key = s + ">" + t + ">" + e.type + ">" + e.masking;
      if (seen[key]) { seen[key].data.jobs.push(e.job); seen[key].data.ids.push(id); return; }
      seen[key] = { data: { id: "x" + key, source: s, target: t, type: e.type, masking: e.masking,
                            subtype: e.subtype, jobs: [e.job], ids: [id],
                            label: e.masking ? words.masked : "" },
                    classes: e.type.toLowerCase() + (e.masking ? " masking" : "") +
                             (onPath[e.source] && onPath[e.target] ? " path" : "") };
      out.push(seen[key]);
    });
    Object.keys(more).forEach(function (key) {
      var m = more[key], id = "more:" + key, anchor = at(m.anchor);
      out.push({ data: { id: id, label: say(words.more, m.n), kind: "more" }, classes: "more" });
      out.push({ data: { id: id + ">", source: m.direction === "upstream" ? id : anchor,
                         target: m.direction === "upstream" ? anchor : id, label: "" }, classes: "to-more" });
    });
    if (data.hidden) {
      out.push({ data: { id: "hidden", label: say(words.hidden, data.hidden), kind: "more" }, classes: "more" });
      out.push({ data: { id: "hidden>", source: at(data.root), target: "hidden", label: "" }, classes: "to-more" });
    }
    return out;
  }

  var cy = cytoscape({
    container: box,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 12, "text-wrap": "wrap",
        "text-valign": "center", "text-halign": "center", "shape": "round-rectangle",
        "background-color": "#eef3fb", "border-width": 1, "border-color": "#4a6fa5",
        "width": function (n) { return Math.max(40, n.data("label").split("\n").reduce(function (m, l) { return Math.max(m, l.length); }, 0) * 7); }, "height": function (n) { return 16 * n.data("label").split("\n").length; }, "padding": "8px", "color": "#1a1a1a" } },
      { selector: "node.folded", style: { "background-color": "#fff7e0", "border-color": "#8a6d1f",
        "border-width": 2, "font-weight": "bold" } },
      { selector: "node.open", style: { "background-color": "#fafafa", "border-style": "dashed",
        "text-valign": "top", "text-halign": "center", "font-weight": "bold", "padding": "14px" } },
      { selector: "node.root", style: { "border-width": 4, "border-color": "#1a1a1a", "font-weight": "bold" } },
      { selector: "node.more", style: { "background-color": "#ffffff", "border-style": "dotted",
        "border-width": 2, "border-color": "#555", "color": "#333" } },
      { selector: "node.path", style: { "border-color": "#6a1b9a", "border-width": 5 } },
      { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle",
        "width": 2.5, "line-color": "#1f4e9c", "target-arrow-color": "#1f4e9c", "arrow-scale": 1.2,
        "label": "data(label)", "font-size": 10, "text-background-color": "#fff",
        "text-background-opacity": 1, "color": "#b3261e" } },
      { selector: "edge.indirect", style: { "line-style": "dashed", "line-dash-pattern": [6, 4],
        "line-color": "#8a5a00", "target-arrow-color": "#8a5a00", "width": 2 } },
      { selector: "edge.masking", style: { "line-color": "#b3261e", "target-arrow-color": "#b3261e",
        "target-arrow-shape": "tee" } },
      { selector: "edge.to-more", style: { "line-style": "dotted", "line-color": "#888",
        "target-arrow-color": "#888", "width": 1.5 } },
      { selector: "edge.path", style: { "width": 5, "line-color": "#6a1b9a", "target-arrow-color": "#6a1b9a" } },
      { selector: ":selected", style: { "overlay-color": "#ffbf00", "overlay-opacity": 0.35 } }
    ]
  });

  function draw() {
    cy.elements().remove();
    cy.add(elements());
    cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 18, rankSep: 70, animate: false }).run();
    cy.fit(undefined, 20);
    // Readable first: never smaller than this; the rest is a pan (drag) or a zoom (wheel) away.
    if (cy.zoom() > 1.3) { cy.zoom(1.3); cy.center(); }
    if (cy.zoom() < 0.7) {
      cy.zoom(0.7);
      cy.center(cy.getElementById(data.root));
      // No empty margin where the drawing goes on: slide it back within the box.
      var z = cy.zoom(), bb = cy.elements().boundingBox(), w = cy.width(), h = cy.height();
      var pan = cy.pan(), m = 20;
      var clamp = function (v, a, b) { return Math.min(Math.max(v, Math.min(a, b)), Math.max(a, b)); };
      cy.pan({ x: clamp(pan.x, w - m - bb.x2 * z, m - bb.x1 * z),
               y: clamp(pan.y, h - m - bb.y2 * z, m - bb.y1 * z) });
    }
  }

  function show_panel(children) {
    panel.replaceChildren.apply(panel, children);
  }

  function button(text, handler) {
    var b = el("button", { type: "button", "class": "button is-small mr-1 mb-1" }, text);
    b.addEventListener("click", handler);
    return b;
  }

  function fetchJson(url, then) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(then)
      .catch(function () { show_panel([el("p", { "class": "has-text-danger" }, words.error)]); });
  }

  function expand(ref, direction, anchor) {
    var q = new URLSearchParams({ field: ref, up: direction === "upstream" ? 1 : 0,
                                  down: direction === "downstream" ? 1 : 0, types: types });
    fetchJson("/lineage/picture/?" + q, function (part) {
      part.nodes.forEach(function (n) { if (n.role === "root") delete n.role; });
      merge(part, anchor);
      draw();
      var notes = [];
      var cut = (part.more.upstream || 0) + (part.more.downstream || 0);
      if (cut) notes.push(el("p", {}, say(words.capped, cut)));
      if (part.hidden) notes.push(el("p", {}, say(words.hidden, part.hidden)));
      if (notes.length) show_panel(notes);
    });
  }

  function fieldPanel(n) {
    var items = [el("p", {}, "").appendChild(el("code", {}, n.ref)).parentNode];
    var links = el("p", {});
    links.appendChild(el("a", { href: n.url, "class": "mr-3" }, words.open));
    links.appendChild(el("a", { href: n.explore }, words.explore));
    items.push(links);
    var actions = el("div", { "class": "mt-2" });
    actions.appendChild(button(words.up, function () { expand(n.ref, "upstream", n.id); }));
    actions.appendChild(button(words.down, function () { expand(n.ref, "downstream", n.id); }));
    actions.appendChild(button(words.from, function () { document.getElementById("path-source").value = n.ref; }));
    actions.appendChild(button(words.to, function () { document.getElementById("path-target").value = n.ref; }));
    items.push(actions);
    return items;
  }

  cy.on("tap", "node", function (evt) {
    var d = evt.target.data();
    if (d.kind === "more") {
      var list = document.getElementById("lineage-list");
      location.hash = "lineage-list";
      list.focus();
      return;
    }
    var n = nodes[d.id];
    if (d.kind === "dataset") {
      var items = [el("p", {}, "").appendChild(el("code", {}, n.ref)).parentNode];
      var links = el("p", {});
      links.appendChild(el("a", { href: n.url, "class": "mr-3" }, words.open));
      links.appendChild(el("a", { href: n.explore }, words.explore));
      items.push(links);
      if (kind === "field") {
        if (!expanded[d.id]) { expanded[d.id] = true; draw(); }
        items.push(button(words.fold, function () { delete expanded[d.id]; draw(); }));
      }
      show_panel(items);
      return;
    }
    show_panel(fieldPanel(n));
  });

  cy.on("tap", "edge", function (evt) {
    var d = evt.target.data();
    if (!d.jobs) return;
    var items = [el("p", {}, (d.type === "DIRECT" ? words.direct : words.indirect) +
                 (d.subtype ? " · " + d.subtype : "") + (d.masking ? " · " + words.masked : ""))];
    var jobs = el("p", {}, words.job + ": ");
    Array.from(new Set(d.jobs)).forEach(function (key, i) {
      if (i) jobs.appendChild(document.createTextNode(", "));
      jobs.appendChild(el("a", { href: "/lineage/jobs/" + encodeURIComponent(key) + "/" }, key));
    });
    items.push(jobs);
    show_panel(items);
  });

  document.querySelectorAll("[data-lineage-show]").forEach(function (box) {
    box.addEventListener("change", function () { show[box.dataset.lineageShow] = box.checked; draw(); });
  });

  var pathForm = document.querySelector("[data-lineage-paths]");
  pathForm.addEventListener("submit", function (evt) {
    evt.preventDefault();
    var q = new URLSearchParams({ source: pathForm.source.value.trim(),
                                  target: pathForm.target.value.trim(), types: types });
    var out = document.getElementById("lineage-path-result");
    fetch("/lineage/paths/?" + q, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (found) {
        out.replaceChildren();
        if (!found || !found.count) {
          out.appendChild(el("p", {}, words.noPath));
          if (found && found.hidden) out.appendChild(el("p", {}, say(words.hiddenPaths, found.hidden)));
          return;
        }
        merge(found);
        onPath = {};
        found.paths.forEach(function (p) { p.forEach(function (id) { onPath[id] = true; }); });
        Object.keys(onPath).forEach(function (id) {
          if (nodes[id] && nodes[id].parent) expanded[nodes[id].parent] = true;
        });
        draw();
        out.appendChild(el("p", {}, say(words.paths, found.count)));
        var list = el("ol", {});
        found.path_refs.forEach(function (p) { list.appendChild(el("li", {}, p.join(" → "))); });
        out.appendChild(list);
        if (found.hidden) out.appendChild(el("p", {}, say(words.hiddenPaths, found.hidden)));
      });
  });

  window.lineageExplorer = { cy: cy, nodes: nodes, draw: draw };  // for the browser tests
  merge(data, data.root);
  if (nodes[data.root] && nodes[data.root].parent) expanded[nodes[data.root].parent] = true;
  draw();
})();
