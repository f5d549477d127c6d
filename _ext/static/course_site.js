/* The course's website, made usable with a screen reader and a keyboard (see _ext/course_site.py).
 *
 * The widget manager draws the widgets in the browser after the page has loaded, so this script watches the page
 * and, whenever something new appears:
 *  - names each slider by its label (noUiSlider's handle is the element with role="slider"), and says its value;
 *  - gives every image drawn from a PNG that has no text alternative the description the kernel wrote into the
 *    PNG's Description chunk (dlcourse.alt_text), so figures inside widgets are described like the others;
 *  - lets the keyboard reach a region that scrolls but holds nothing focusable (tabindex 0, a named region);
 *  - makes each Playground (dlcourse.widgets) respond without a kernel: the build embedded, beside the widget's
 *    state, the figure the kernel drew for each value each control offers (every combination where there are
 *    few, else one control at a time from the defaults); when the reader moves a control, the figure for that setting (a slider's nearest notch) replaces
 *    the one shown, and a line under the widget says what is shown and what only a kernel can draw;
 *  - makes the theme's controls named by what they show (WCAG 2.5.3): the search buttons and the folded code
 *    cells' toggles say what is written on them ("Search Ctrl+K", "Show code cell source"), not a different
 *    label, and the colour-mode button's name includes the mode its icon shows.
 */
(function () {
  "use strict";

  // The text of a PNG's "Description" chunk (tEXt: Latin-1; iTXt: UTF-8, uncompressed), or null.
  function pngDescription(bytes) {
    var at = 8, view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (at + 12 <= bytes.length) {
      var length = view.getUint32(at), type = String.fromCharCode.apply(null, bytes.subarray(at + 4, at + 8));
      var data = bytes.subarray(at + 8, at + 8 + length);
      if (type === "tEXt" || type === "iTXt") {
        var nul = data.indexOf(0);
        var keyword = String.fromCharCode.apply(null, data.subarray(0, nul));
        if (keyword === "Description") {
          if (type === "tEXt") return new TextDecoder("latin1").decode(data.subarray(nul + 1));
          if (data[nul + 1] !== 0) return null;  // compressed iTXt: matplotlib does not write it
          var rest = nul + 3;
          rest = data.indexOf(0, rest) + 1;   // language tag
          rest = data.indexOf(0, rest) + 1;   // translated keyword
          return new TextDecoder("utf-8").decode(data.subarray(rest));
        }
      }
      if (type === "IEND") break;
      at += 12 + length;
    }
    return null;
  }

  function describeImage(img) {
    if (img.hasAttribute("alt") && img.getAttribute("alt").trim()) return;
    var src = img.getAttribute("src") || "", prefix = "data:image/png;base64,";
    var text = null;
    if (src.indexOf(prefix) === 0) {
      try {
        var raw = atob(src.slice(prefix.length)), bytes = new Uint8Array(raw.length);
        for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        text = pngDescription(bytes);
      } catch (error) { text = null; }
    }
    img.setAttribute("alt", text || "A figure drawn by this page's code (no description was recorded).");
  }

  function nameSlider(handle) {
    var widget = handle.closest(".widget-slider, .jupyter-widget-slider, .widget-hslider, .widget-vslider");
    if (!widget) return;
    var label = widget.querySelector(".widget-label, label");
    var name = label && label.textContent.trim();
    if (name && handle.getAttribute("aria-label") !== name) handle.setAttribute("aria-label", name);
    var readout = widget.querySelector(".widget-readout");
    if (readout && readout.textContent.trim()) handle.setAttribute("aria-valuetext", readout.textContent.trim());
  }

  function reachScrollable(el) {
    if (el.hasAttribute("tabindex") || el.querySelector("a, button, input, select, textarea, [tabindex]")) return;
    var style = getComputedStyle(el), scrolls = /(auto|scroll)/;
    var across = scrolls.test(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
    var down = scrolls.test(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
    if (!across && !down) return;
    el.setAttribute("tabindex", "0");
    if (!el.hasAttribute("role")) {
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", "scrollable output");
    }
  }

  function nameByText() {
    document.querySelectorAll("button.search-button-field[aria-label], details.hide > summary[aria-label]")
      .forEach(function (el) { el.removeAttribute("aria-label"); });
    document.querySelectorAll(".theme-switch-button").forEach(function (el) {
      el.setAttribute("aria-label", "Color mode: Light, Dark or System Settings");
    });
  }

  // ---- Playgrounds without a kernel -------------------------------------------------------------------------

  function frameData(playground) {
    if (!playground.dlcourseFrames) {
      var data = playground.querySelector(".dlcourse-frames .dlcourse-frames-data");
      if (!data) return null;
      try { playground.dlcourseFrames = JSON.parse(data.textContent); } catch (error) { return null; }
    }
    return playground.dlcourseFrames;
  }

  // What the page shows as the value of control `spec` (inside element `el`): a number, a label or a boolean.
  function shownValue(el, spec) {
    if (spec.kind === "bool") {
      var box = el.querySelector('input[type="checkbox"]');
      return box ? box.checked : el.classList.contains("mod-active");
    }
    var text;
    var select = el.querySelector("select");
    if (select) text = select.selectedOptions.length ? select.selectedOptions[0].textContent : "";
    else if (el.querySelector(".widget-toggle-button")) {
      var active = el.querySelector(".widget-toggle-button.mod-active");
      text = active ? active.textContent : "";
    } else if (el.querySelector("input")) text = el.querySelector("input").value;
    else text = (el.querySelector(".widget-readout") || el).textContent;
    // ipywidgets writes a menu's spaces as no-break spaces, and a readout's minus as −
    text = text.replace(/\u00a0/g, " ").trim();
    return spec.kind === "label" ? text : parseFloat(text.replace(/\u2212/g, "-"));
  }

  // The offered value nearest to what is shown (numbers on their own scale), or null.
  function snap(spec, shown) {
    var best = null, distance = Infinity;
    spec.values.forEach(function (v) {
      var d;
      if (spec.kind === "number" || spec.kind === "log") {
        if (typeof shown !== "number" || isNaN(shown)) return;
        d = spec.kind === "log" && shown > 0 && v.value > 0 ? Math.abs(Math.log(shown) - Math.log(v.value))
                                                           : Math.abs(shown - v.value);
      } else d = (spec.kind === "label" ? String(v.value).trim() : v.value) === shown ? 0 : Infinity;
      if (d < distance) { distance = d; best = v; }
    });
    return best;
  }

  function say(value) { return typeof value === "number" ? String(+value.toPrecision(4)) : String(value); }

  function inactive(el, spec) {
    if (el.dataset.dlcourseInactive) return;
    el.dataset.dlcourseInactive = "1";
    el.querySelectorAll("input, select, button, [role=slider]").forEach(function (c) {
      c.setAttribute("disabled", "");
      c.setAttribute("aria-disabled", "true");
    });
    el.classList.add("dlcourse-inactive");
    el.setAttribute("title", "run this page to change it");
  }

  function updatePlayground(playground) {
    var data = frameData(playground);
    if (!data) return;
    var note = playground.querySelector(":scope > .dlcourse-frames-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "dlcourse-frames-note";
      note.setAttribute("role", "status");
      playground.appendChild(note);
    }
    var changed = [], snapped = [], fixed = [], picks = [];
    data.controls.forEach(function (spec) {
      var el = playground.querySelector(".dlcourse-control-" + spec.index);
      if (!el) return;
      if (!spec.values.length) { inactive(el, spec); fixed.push(spec.label); return; }
      var v = snap(spec, shownValue(el, spec));
      if (v === null) return;
      picks.push(v);
      if (v.key !== "default") changed.push({spec: spec, value: v});
      var shown = shownValue(el, spec);
      if ((spec.kind === "number" || spec.kind === "log") && Math.abs(shown - v.value) > 1e-9 * Math.max(1, Math.abs(v.value)))
        snapped.push(spec.label + " = " + say(v.value));
    });
    var img = playground.querySelector(".widget-output img");
    var grid = data.mode === "grid", key;
    if (changed.length === 0) key = "default";
    else if (grid) key = "g:" + picks.map(function (v) { return v.j; }).join(",");
    else key = changed.length === 1 ? changed[0].value.key : null;
    var text = "Without a kernel this figure was drawn ahead of time for " +
               (grid ? "every combination of the controls' values"
                     : "each value of one control at a time, the others at their defaults") +
               (fixed.length ? "; " + fixed.join(", ") + ": run this page to change " +
               (fixed.length > 1 ? "them" : "it") : "") + ".";
    if (key === null || !data.frames[key]) {
      text = key === null
        ? "One change at a time here: set " + changed.map(function (c) { return c.spec.label; }).join(" or ") +
          " back to its default to see a figure, or run this page to combine them."
        : "No figure was drawn for this setting without a kernel: run this page to see it.";
      if (img) img.classList.add("dlcourse-stale");
    } else if (img) {
      var src = "data:image/png;base64," + data.frames[key];
      if (img.getAttribute("src") !== src) {
        img.setAttribute("src", src);
        img.setAttribute("alt", "");
        describeImage(img);
      }
      img.classList.remove("dlcourse-stale");
      img.dataset.dlcourseFrame = key;
      if (snapped.length) text += " Shown: the figure for " + snapped.join(", ") + ", the nearest drawn value.";
    }
    if (note.textContent !== text) note.textContent = text;
  }

  var pending = false;
  function fix() {
    pending = false;
    nameByText();
    document.querySelectorAll("img").forEach(describeImage);
    document.querySelectorAll('[role="slider"]').forEach(nameSlider);
    document.querySelectorAll(".dlcourse-playground").forEach(updatePlayground);
    document.querySelectorAll("main div, main pre").forEach(reachScrollable);
  }
  function later() {
    if (!pending) { pending = true; window.requestAnimationFrame(fix); }
  }

  function start() {
    fix();
    new MutationObserver(later).observe(document.body, {childList: true, subtree: true, characterData: true,
                                                        attributes: true, attributeFilter: ["src", "aria-valuenow"]});
    window.addEventListener("resize", later);
    document.addEventListener("change", later, true);  // a menu's or a check box's new value
    document.addEventListener("click", later, true);   // toggle buttons
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.dlcourseSite = {pngDescription: pngDescription, frameData: frameData};  // for the site test
})();
