/* The trace's transfers drawn as lines between its nodes.
 *
 * The graph itself is server-rendered HTML (a column per tier, a node per account, each
 * node's state in words and colour), so it reads, prints and works without this file; this
 * only draws each transfer listed in the graph's `.edge-list` as a curve from the paying
 * node to the receiving one, in an SVG laid under the nodes. It is redrawn whenever htmx
 * swaps the graph in (the trace grew) and when the window is resized. No inline code: the
 * Content-Security-Policy allows none. The lines are decoration (`aria-hidden`): the nodes
 * name where their money came from, and the transfers table lists every edge.
 */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";

  function point(rect, canvas, box, side) {
    const x = (side === "right" ? rect.right : rect.left) - box.left + canvas.scrollLeft;
    return [x, rect.top + rect.height / 2 - box.top + canvas.scrollTop];
  }

  function draw(canvas) {
    let svg = canvas.querySelector("svg.edges");
    if (!svg) {
      svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("class", "edges");
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
      canvas.prepend(svg);
    }
    svg.replaceChildren();
    svg.setAttribute("width", String(canvas.scrollWidth));
    svg.setAttribute("height", String(canvas.scrollHeight));
    const box = canvas.getBoundingClientRect();
    const nodes = new Map();
    canvas.querySelectorAll(".node[data-node]").forEach((node) => nodes.set(node.dataset.node, node));
    canvas.querySelectorAll(".edge-list [data-from]").forEach((edge) => {
      const from = nodes.get(edge.dataset.from);
      const to = nodes.get(edge.dataset.to);
      if (!from || !to) return; // a cash withdrawal, or a node not drawn
      const a = from.getBoundingClientRect();
      const b = to.getBoundingClientRect();
      const forward = b.left >= a.right;
      const [x1, y1] = point(a, canvas, box, forward ? "right" : "left");
      const [x2, y2] = point(b, canvas, box, forward ? "left" : "right");
      const bend = Math.max(24, Math.abs(x2 - x1) / 2) * (forward ? 1 : -1);
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`);
      path.setAttribute("class", "edge");
      path.dataset.from = edge.dataset.from;
      path.dataset.to = edge.dataset.to;
      svg.append(path);
    });
  }

  function drawAll() {
    document.querySelectorAll(".trace-canvas").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
  window.addEventListener("resize", drawAll);
})();
