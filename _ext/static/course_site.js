/* The course's website, made usable with a screen reader and a keyboard (see _ext/course_site.py).
 *
 * The widget manager draws the widgets in the browser after the page has loaded, so this script watches the page
 * and, whenever something new appears:
 *  - names each slider by its label (noUiSlider's handle is the element with role="slider"), and says its value;
 *  - gives every image drawn from a PNG that has no text alternative the description the kernel wrote into the
 *    PNG's Description chunk (dlcourse.alt_text), so figures inside widgets are described like the others;
 *  - lets the keyboard reach a region that scrolls but holds nothing focusable (tabindex 0, a named region);
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

  var pending = false;
  function fix() {
    pending = false;
    nameByText();
    document.querySelectorAll("img").forEach(describeImage);
    document.querySelectorAll('[role="slider"]').forEach(nameSlider);
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
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.dlcourseSite = {pngDescription: pngDescription};  // for the site test
})();
