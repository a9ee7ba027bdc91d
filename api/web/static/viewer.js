// The document viewer: pdf.js's PDFViewer on the document's PDF (its rendition), pages drawn
// only as they scroll into view, with page jump, zoom, the search's words marked on the pages,
// and the extracted text beside them following the page shown.
// Served from /static under the app's CSP: pdf.js is told not to use eval or WebAssembly, and
// its worker is a same-origin module file (decision 0028).

const root = document.getElementById("pdf-viewer");
const LIB = "/static/pdfjs/";

const pdfjsLib = await import(LIB + "pdf.min.mjs");
// The viewer component reads the library from this global (pdfjs-dist's own convention).
globalThis.pdfjsLib = pdfjsLib;
const { EventBus, LinkTarget, PDFFindController, PDFLinkService, PDFViewer } = await import(
  LIB + "pdf_viewer.mjs"
);
pdfjsLib.GlobalWorkerOptions.workerSrc = LIB + "pdf.worker.min.mjs";

const container = root.querySelector(".pdf-pages");
const status = root.querySelector(".viewer-status");
const pageInput = root.querySelector("#page-number");
const pageCount = root.querySelector("#page-count");
const zoomLevel = root.querySelector("#zoom-level");
const terms = (root.dataset.terms || "").split(" ").filter(Boolean);
const textPages = [...document.querySelectorAll(".text-page[data-page]")];
const textPanel = document.querySelector(".page-text .doc-text");

const eventBus = new EventBus();
const linkService = new PDFLinkService({
  eventBus,
  externalLinkTarget: LinkTarget.BLANK,
  externalLinkRel: "noopener noreferrer nofollow",
});
const findController = new PDFFindController({ eventBus, linkService });
const viewer = new PDFViewer({
  container,
  eventBus,
  linkService,
  findController,
  imageResourcesPath: LIB + "images/",
  annotationEditorMode: pdfjsLib.AnnotationEditorType.DISABLE,
});
linkService.setViewer(viewer);

// pdf.js brings the first match into view with element.scrollIntoView, which scrolls the whole
// page too and hides the controls; scroll only the pages' own container, once, on arrival.
let broughtMatchIntoView = false;
findController.scrollMatchIntoView = ({ element, pageIndex, matchIndex }) => {
  const { selected } = findController;
  if (broughtMatchIntoView || !element) return;
  if (pageIndex !== selected.pageIdx || matchIndex !== selected.matchIdx) return;
  broughtMatchIntoView = true;
  const top = element.getBoundingClientRect().top - container.getBoundingClientRect().top;
  if (top < 0 || top > container.clientHeight - 2 * element.offsetHeight) {
    container.scrollTop += top - container.clientHeight / 4;
  }
};

let findSummary = "";

function say(message) {
  status.textContent = message;
}

function pageMessage() {
  const n = viewer.currentPageNumber;
  return `Page ${n} of ${viewer.pagesCount}.${findSummary ? " " + findSummary : ""}`;
}

// The text beside the pages follows the page shown, where the text has one part a page.
function showTextOf(pageNumber) {
  if (!textPanel || textPages.length !== viewer.pagesCount) return;
  for (const part of textPages) {
    part.classList.toggle("current", Number(part.dataset.page) === pageNumber);
  }
  const part = textPages[pageNumber - 1];
  if (part) textPanel.scrollTop = part.offsetTop - textPanel.offsetTop;
}

function goTo(pageNumber) {
  const n = Math.min(Math.max(1, pageNumber), viewer.pagesCount);
  viewer.currentPageNumber = n;
  pageInput.value = String(n);
}

const actions = {
  prev: () => goTo(viewer.currentPageNumber - 1),
  next: () => goTo(viewer.currentPageNumber + 1),
  first: () => goTo(1),
  last: () => goTo(viewer.pagesCount),
  "zoom-in": () => viewer.increaseScale(),
  "zoom-out": () => viewer.decreaseScale(),
  "fit-width": () => {
    viewer.currentScaleValue = "page-width";
  },
};

root.querySelectorAll("button[data-action]").forEach((button) => {
  button.addEventListener("click", () => actions[button.dataset.action]());
});

pageInput.addEventListener("change", () => {
  const wanted = Number.parseInt(pageInput.value, 10);
  if (Number.isFinite(wanted)) goTo(wanted);
  else pageInput.value = String(viewer.currentPageNumber);
});

// Keys while focus is in the viewer (not while typing a page number): Page Up / Page Down
// turn pages, Home / End go to the first and last, + and - zoom, 0 fits the width.
const KEYS = {
  PageDown: "next",
  PageUp: "prev",
  Home: "first",
  End: "last",
  "+": "zoom-in",
  "=": "zoom-in",
  "-": "zoom-out",
  0: "fit-width",
};
root.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target instanceof HTMLInputElement) return;
  const action = KEYS[event.key];
  if (!action || !viewer.pagesCount) return;
  event.preventDefault();
  actions[action]();
});

eventBus.on("pagesinit", () => {
  viewer.currentScaleValue = "page-width";
  pageInput.max = String(viewer.pagesCount);
  pageCount.textContent = `of ${viewer.pagesCount}`;
  root.querySelectorAll("button[data-action], #page-number").forEach((c) => {
    c.disabled = false;
  });
  showTextOf(1);
  if (terms.length) {
    eventBus.dispatch("find", {
      source: null,
      type: "",
      query: terms,
      caseSensitive: false,
      entireWord: false,
      highlightAll: true,
      findPrevious: false,
      matchDiacritics: false,
    });
  }
  say(pageMessage());
});

// Fit width stays fitted when the window (or the phone's orientation) changes.
new ResizeObserver(() => {
  const mode = viewer.currentScaleValue;
  if (viewer.pagesCount && (mode === "page-width" || mode === "page-fit")) {
    viewer.currentScaleValue = mode;
  }
}).observe(container);

eventBus.on("pagechanging", ({ pageNumber }) => {
  pageInput.value = String(pageNumber);
  showTextOf(pageNumber);
  say(pageMessage());
});

eventBus.on("scalechanging", ({ scale }) => {
  zoomLevel.textContent = `${Math.round(scale * 100)}%`;
});

function marked(total) {
  return `The search's words are marked ${total} ${total === 1 ? "time" : "times"} on the pages.`;
}

eventBus.on("updatefindmatchescount", ({ matchesCount }) => {
  findSummary = marked(matchesCount.total);
  say(pageMessage());
});

eventBus.on("updatefindcontrolstate", ({ state, matchesCount }) => {
  if (state === 1 /* FindState.NOT_FOUND */) {
    findSummary = "The search's words are not on the pages (they may be in the file's details).";
  } else if (matchesCount?.total) {
    findSummary = marked(matchesCount.total);
  }
  say(pageMessage());
});

try {
  const pdf = await pdfjsLib.getDocument({
    url: root.dataset.src,
    // No eval (font programs are interpreted) and no WebAssembly (image decoders run as the
    // JavaScript fallbacks from wasm/): the CSP allows neither.
    isEvalSupported: false,
    useWasm: false,
    wasmUrl: LIB + "wasm/",
    cMapUrl: LIB + "cmaps/",
    standardFontDataUrl: LIB + "standard_fonts/",
    enableXfa: false,
  }).promise;
  viewer.setDocument(pdf);
  linkService.setDocument(pdf, null);
  root.dataset.state = "ready";
} catch (error) {
  root.dataset.state = "failed";
  container.hidden = true;
  say(
    `The pages could not be shown (${error?.message || error}). ` +
      "Download the original or read the text instead.",
  );
}
