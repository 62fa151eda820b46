"""The library map as one self-contained HTML page: pan, zoom, hover, click.

Everything is inline (the SVG drawing, the paper data as JSON, the script
and the styles), so the page opens from disk with no network. Zooming moves
the dots apart and places the labels again with the same rules as the
static map (eight spots per dot, none over another label or dot), so more
labels appear as there is room. Hovering a dot or label shows its title,
authors, year, theme and the summary of the user's note; clicking opens the
arXiv abstract page. Text from papers and notes reaches the page only as
JSON and ``textContent``, never as markup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from paperlab.export.libmap import FONTS, UNREAD_NAME, Drawing, MapPoint, svg_body
from paperlab.export.maplabels import FONT_SIZE, text_box

_STYLE = """
body { margin: 0; font-family: Helvetica, Arial, sans-serif; background: #fafafa;
       color: #222; }
#bar { padding: 6px 12px; display: flex; gap: 8px; align-items: center; font-size: 13px; }
#bar button { font-size: 14px; min-width: 2em; }
#map { display: block; width: 100%; height: auto; background: #fff; cursor: grab;
       user-select: none; touch-action: none; }
#map.dragging { cursor: grabbing; }
#map circle.paper, #map text.label { cursor: pointer; }
#map circle.paper.hover { stroke: #000; stroke-width: 2; }
#tip { position: fixed; display: none; max-width: 380px; background: #fff; border: 1px solid #bbb;
       box-shadow: 0 2px 8px rgba(0,0,0,.2); padding: 8px 10px; font-size: 13px;
       pointer-events: none; z-index: 2; }
#tip .t { font-weight: bold; margin-bottom: 4px; }
#tip .a, #tip .th { color: #555; margin-bottom: 4px; }
#tip .s { margin-top: 4px; }
"""

# The script works on the data block and the drawing: no network, no eval,
# no innerHTML.
_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var svg = document.getElementById("map");
  var NS = svg.namespaceURI;
  var plot = data.plot, pts = data.points, fs = data.fontSize;
  var dots = {};
  Array.prototype.forEach.call(svg.querySelectorAll("circle.paper"), function (c) {
    dots[c.getAttribute("data-i")] = c;
  });
  var labelLayer = document.getElementById("labels");
  var leaderLayer = document.getElementById("leaders");
  var tip = document.getElementById("tip");
  var ctx = document.createElement("canvas").getContext("2d");
  ctx.font = fs + "px " + data.fonts;
  var k = 1, tx = 0, ty = 0, CELL = 64;

  function pos(i) { return [pts[i].sx * k + tx, pts[i].sy * k + ty]; }
  function inside(x, y) { return x >= plot[0] && x <= plot[2] && y >= plot[1] && y <= plot[3]; }
  function hit(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }

  function layout() {
    var grid = {}, shown = [];
    function keys(b) {
      var out = [];
      for (var i = Math.floor(b[0] / CELL); i <= Math.floor(b[2] / CELL); i++)
        for (var j = Math.floor(b[1] / CELL); j <= Math.floor(b[3] / CELL); j++) {
          out.push(i + "," + j);
        }
      return out;
    }
    function add(b) { keys(b).forEach(function (key) { (grid[key] = grid[key] || []).push(b); }); }
    function free(b) {
      if (b[0] < plot[0] || b[1] < plot[1] || b[2] > plot[2] || b[3] > plot[3]) return false;
      return !keys(b).some(function (key) {
        return (grid[key] || []).some(function (o) { return hit(b, o); });
      });
    }
    for (var i = 0; i < pts.length; i++) {
      var p = pos(i), dot = dots[i];
      var visible = inside(p[0], p[1]);
      dot.setAttribute("cx", p[0].toFixed(1));
      dot.setAttribute("cy", p[1].toFixed(1));
      dot.style.display = visible ? "" : "none";
      if (visible) {
        var rr = data.r + 1;
        shown[i] = true;
        add([p[0] - rr, p[1] - rr, p[0] + rr, p[1] + rr]);
      }
    }
    while (labelLayer.firstChild) labelLayer.removeChild(labelLayer.firstChild);
    while (leaderLayer.firstChild) leaderLayer.removeChild(leaderLayer.firstChild);
    var asc = data.ascent, desc = data.descent, half = (asc - desc) / 2;
    data.order.forEach(function (i) {
      if (!shown[i]) return;
      var p = pos(i), x = p[0], y = p[1];
      for (var n = 0; n < pts[i].labels.length; n++) {
        var text = pts[i].labels[n], w = ctx.measureText(text).width;
        for (var r = 0; r < 2; r++) {
          var d = data.r + 3 + 14 * r, e = d * 0.7;
          // [x, y, text-anchor]: anchored on the side facing the dot, as in the SVG
          var spots = [[x + d, y + half, "start"], [x - d, y + half, "end"],
                       [x, y - d - desc, "middle"], [x, y + d + asc, "middle"],
                       [x + e, y - e - desc, "start"], [x - e, y - e - desc, "end"],
                       [x + e, y + e + asc, "start"], [x - e, y + e + asc, "end"]];
          for (var s = 0; s < spots.length; s++) {
            var at = spots[s];
            var left = at[2] === "start" ? at[0] : at[2] === "end" ? at[0] - w : at[0] - w / 2;
            var box = [left - 1, at[1] - asc - 1, left + w + 1, at[1] + desc + 1];
            if (!free(box)) continue;
            add(box);
            draw(i, text, at, box, r > 0, x, y);
            return;
          }
        }
      }
    });
  }

  function draw(i, text, at, box, far, x, y) {
    var t = document.createElementNS(NS, "text");
    t.setAttribute("class", "label");
    t.setAttribute("data-i", i);
    t.setAttribute("x", at[0].toFixed(1));
    t.setAttribute("y", at[1].toFixed(1));
    t.setAttribute("text-anchor", at[2]);
    t.setAttribute("font-size", fs);
    t.setAttribute("fill", "#222");
    t.textContent = text;
    labelLayer.appendChild(t);
    if (!far) return;
    var l = document.createElementNS(NS, "line");
    l.setAttribute("x1", x);
    l.setAttribute("y1", y);
    l.setAttribute("x2", Math.min(Math.max(x, box[0]), box[2]));
    l.setAttribute("y2", Math.min(Math.max(y, box[1]), box[3]));
    l.setAttribute("stroke", "#999");
    l.setAttribute("stroke-width", "0.6");
    leaderLayer.appendChild(l);
  }

  var pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; layout(); });
  }
  function svgPoint(evt) {
    var m = svg.getScreenCTM().inverse();
    var x = evt.clientX, y = evt.clientY;
    return [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
  }
  function zoomAt(f, c) {
    var nk = Math.min(60, Math.max(0.5, k * f));
    f = nk / k;
    tx = c[0] - (c[0] - tx) * f;
    ty = c[1] - (c[1] - ty) * f;
    k = nk;
    redraw();
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    zoomAt(Math.exp(-evt.deltaY * 0.0015), svgPoint(evt));
  }, { passive: false });
  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    drag = { p: svgPoint(evt), tx: tx, ty: ty, moved: false };
    svg.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) return;
    var p = svgPoint(evt);
    if (Math.abs(p[0] - drag.p[0]) + Math.abs(p[1] - drag.p[1]) > 3) drag.moved = true;
    tx = drag.tx + p[0] - drag.p[0];
    ty = drag.ty + p[1] - drag.p[1];
    redraw();
  });
  window.addEventListener("pointerup", function () {
    svg.classList.remove("dragging");
    setTimeout(function () { drag = null; }, 0);
  });
  var centre = [(plot[0] + plot[2]) / 2, (plot[1] + plot[3]) / 2];
  document.getElementById("zoom-in").onclick = function () { zoomAt(1.5, centre); };
  document.getElementById("zoom-out").onclick = function () { zoomAt(1 / 1.5, centre); };
  document.getElementById("reset").onclick = function () { k = 1; tx = 0; ty = 0; redraw(); };
  svg.addEventListener("dblclick", function () { k = 1; tx = 0; ty = 0; redraw(); });

  function target(evt) {
    var el = evt.target;
    if (!el || !el.getAttribute) return null;
    var cls = el.getAttribute("class") || "";
    if (cls.indexOf("paper") < 0 && cls.indexOf("label") < 0) return null;
    var i = el.getAttribute("data-i");
    return i === null ? null : +i;
  }
  function line(cls, text) {
    var d = document.createElement("div");
    d.className = cls;
    d.textContent = text;
    tip.appendChild(d);
  }
  var lit = null;
  svg.addEventListener("mousemove", function (evt) {
    var i = target(evt);
    if (lit !== null && lit !== i) { dots[lit].classList.remove("hover"); lit = null; }
    if (i === null || drag) { tip.style.display = "none"; return; }
    var p = pts[i];
    if (lit !== i) {
      while (tip.firstChild) tip.removeChild(tip.firstChild);
      line("t", p.title);
      line("a", (p.authors.join(", ") || "Unknown authors") + (p.year ? " (" + p.year + ")" : ""));
      line("th", p.theme || data.unread);
      line("s", p.summary || "No note summary yet.");
      dots[i].classList.add("hover");
      lit = i;
    }
    tip.style.display = "block";
    var x = evt.clientX + 14, y = evt.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) x = evt.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight) y = evt.clientY - tip.offsetHeight - 14;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  });
  svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  svg.addEventListener("click", function (evt) {
    var i = target(evt);
    if (i === null || (drag && drag.moved) || !pts[i].url) return;
    window.open(pts[i].url, "_blank", "noopener");
  });
})();
"""


def _json_for_script(value: object) -> str:
    """JSON safe inside a <script> element: no '</' can close it early."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(drawing: Drawing, points: Sequence[MapPoint]) -> str:
    """One HTML file holding the drawing, its data and the script that moves it."""
    _w, ascent, descent = text_box("Mg", FONT_SIZE)
    order = sorted(range(len(points)), key=lambda i: (points[i].theme is None, i))
    data = {
        "plot": list(drawing.plot),
        "fontSize": FONT_SIZE,
        "ascent": ascent,
        "descent": descent,
        "r": 5.0,
        "order": order,
        "unread": UNREAD_NAME,
        "fonts": FONTS,
        "points": [
            {
                "sx": round(drawing.screen[i][0], 2),
                "sy": round(drawing.screen[i][1], 2),
                "id": p.paper_id,
                "labels": [p.label, p.short] if p.short else [p.label],
                "title": p.title,
                "authors": list(p.authors),
                "year": p.year,
                "theme": p.theme,
                "summary": p.summary,
                "url": p.url,
            }
            for i, p in enumerate(points)
        ],
    }
    svg = (
        f'<svg id="map" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {drawing.width:.0f} {drawing.height:.0f}">\n'
        + "\n".join(svg_body(drawing, points))
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(drawing.title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        '<div id="bar"><button id="zoom-in" title="Zoom in">+</button>'
        '<button id="zoom-out" title="Zoom out">&minus;</button>'
        '<button id="reset" title="Back to the whole map">Reset</button>'
        "<span>Scroll to zoom, drag to pan, hover for details, click to open the abstract."
        "</span></div>\n"
        f"{svg}\n</svg>\n"
        '<div id="tip" role="tooltip"></div>\n'
        f'<script id="map-data" type="application/json">{_json_for_script(data)}</script>\n'
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


__all__ = ["render_html"]
