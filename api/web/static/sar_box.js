// The SAR review page's area picker: the document's page drawn with pdf.js, and a rectangle
// dragged on it fills the "Redact an area of a page" form's numbers (points from the page's top
// left, as the burn-in reads them). The numbers stay the way to give an area without a mouse;
// this only helps find them. Areas already redacted on the page are drawn in black.
// Served from /static under the app's CSP: no eval, no WebAssembly (as static/viewer.js).

const picker = document.getElementById("box-picker");
const LIB = "/static/pdfjs/";

if (picker) {
  const pdfjsLib = await import(LIB + "pdf.min.mjs");
  pdfjsLib.GlobalWorkerOptions.workerSrc = LIB + "pdf.worker.min.mjs";
  const form = picker.closest("form");
  const field = (name) => form.querySelector(`input[name="${name}"]`);
  const canvas = picker.querySelector("canvas.box-page");
  const overlay = picker.querySelector("canvas.box-overlay");
  const say = picker.querySelector(".box-status");
  const done = JSON.parse(picker.dataset.boxes || "[]");
  let pdf = null;
  let scale = 1;
  let drawn = null; // the rectangle being chosen, in points

  function drawOverlay() {
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const page = Number(field("page").value);
    ctx.fillStyle = "rgba(0, 0, 0, 0.85)";
    for (const box of done.filter((b) => b.page === page)) {
      ctx.fillRect(box.x * scale, box.y * scale, box.w * scale, box.h * scale);
    }
    if (drawn) {
      ctx.strokeStyle = "#d4351c";
      ctx.lineWidth = 3;
      ctx.strokeRect(drawn.x * scale, drawn.y * scale, drawn.w * scale, drawn.h * scale);
    }
  }

  async function showPage() {
    const number = Math.max(1, Math.min(pdf.numPages, Number(field("page").value) || 1));
    const page = await pdf.getPage(number);
    const natural = page.getViewport({ scale: 1 });
    scale = Math.min(1.5, picker.clientWidth / natural.width);
    const viewport = page.getViewport({ scale });
    for (const c of [canvas, overlay]) {
      c.width = Math.floor(viewport.width);
      c.height = Math.floor(viewport.height);
    }
    await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
    drawn = null;
    drawOverlay();
    picker.dataset.state = "ready";
    say.textContent = `Page ${number} of ${pdf.numPages}: drag across the area to redact.`;
  }

  function point(event) {
    const rect = overlay.getBoundingClientRect();
    const x = ((event.clientX - rect.left) * (overlay.width / rect.width)) / scale;
    const y = ((event.clientY - rect.top) * (overlay.height / rect.height)) / scale;
    return { x: Math.max(0, x), y: Math.max(0, y) };
  }

  let start = null;
  overlay.addEventListener("pointerdown", (event) => {
    start = point(event);
    overlay.setPointerCapture(event.pointerId);
  });
  overlay.addEventListener("pointermove", (event) => {
    if (!start) return;
    const now = point(event);
    drawn = {
      x: Math.min(start.x, now.x),
      y: Math.min(start.y, now.y),
      w: Math.abs(now.x - start.x),
      h: Math.abs(now.y - start.y),
    };
    drawOverlay();
  });
  overlay.addEventListener("pointerup", () => {
    start = null;
    if (!drawn || drawn.w < 1 || drawn.h < 1) return;
    for (const name of ["x", "y", "w", "h"]) field(name).value = drawn[name].toFixed(1);
    say.textContent =
      `Area chosen: ${drawn.w.toFixed(0)} by ${drawn.h.toFixed(0)} points, ` +
      `${drawn.x.toFixed(0)} from the left and ${drawn.y.toFixed(0)} from the top.`;
  });
  field("page").addEventListener("change", () => pdf && showPage());

  try {
    pdf = await pdfjsLib.getDocument({
      url: picker.dataset.src,
      isEvalSupported: false,
      useWasm: false,
      wasmUrl: LIB + "wasm/",
      cMapUrl: LIB + "cmaps/",
      standardFontDataUrl: LIB + "standard_fonts/",
      enableXfa: false,
    }).promise;
    await showPage();
  } catch (error) {
    picker.dataset.state = "failed";
    canvas.hidden = overlay.hidden = true;
    say.textContent = `The page could not be shown (${error?.message || error}): type the numbers.`;
  }
}
