// Small behaviours that need no framework. No inline scripts: the CSP forbids them.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.requestSubmit();
});
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
// A form that starts a long job (scheduling a course) says so and cannot be sent twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("[data-busy]")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  const button = form.querySelector("button[type=submit]");
  if (button) {
    button.disabled = true;
    button.classList.add("busy");
    button.textContent = form.dataset.busy;
  }
});

// Bedside scanning. A barcode scanner types the code and presses Enter: Enter in a scan field
// moves to the next one; Enter in the last scan field checks when the site is chosen.
document.addEventListener("keydown", (event) => {
  const field = event.target;
  if (event.key !== "Enter" || !field.matches("[data-scan]")) return;
  const form = field.form;
  const next = form.querySelector(`[data-scan="${Number(field.dataset.scan) + 1}"]`);
  if (next) {
    event.preventDefault();
    next.focus();
    next.select();
    return;
  }
  const region = form.querySelector("select[name=region]");
  if (region && !region.value) {
    event.preventDefault();
    region.focus();
  }
});

// Pass and fail sounds. Browsers allow sound only after the user has done something on the
// page, so the audio context starts on the first key press or click.
let bedsideAudio = null;
const wakeAudio = () => {
  if (!bedsideAudio && window.AudioContext) bedsideAudio = new AudioContext();
};
document.addEventListener("keydown", wakeAudio);
document.addEventListener("pointerdown", wakeAudio);
const TONES = {
  pass: [[880, 0, 0.12], [1320, 0.14, 0.18]],
  override: [[660, 0, 0.18], [660, 0.25, 0.18]],
  fail: [[330, 0, 0.35]],
  stop: [[220, 0, 0.3], [180, 0.35, 0.3], [220, 0.7, 0.45]],
};
function playTone(kind) {
  if (!bedsideAudio || !TONES[kind]) return;
  const start = bedsideAudio.currentTime;
  for (const [hz, at, length] of TONES[kind]) {
    const osc = bedsideAudio.createOscillator();
    const gain = bedsideAudio.createGain();
    osc.type = kind === "pass" ? "sine" : "square";
    osc.frequency.value = hz;
    gain.gain.value = 0.12;
    osc.connect(gain).connect(bedsideAudio.destination);
    osc.start(start + at);
    osc.stop(start + at + length);
  }
}
function announceVerdict(root) {
  const verdict = root.querySelector ? root.querySelector("[data-scan-result]") : null;
  const el = verdict || (root.matches && root.matches("[data-scan-result]") ? root : null);
  if (!el) return;
  playTone(el.dataset.scanResult);
  document.body.dataset.lastScan = el.dataset.scanResult;
  const form = document.querySelector("[data-scan-form]");
  const wanted = el.dataset.focus === "wristband" ? "wristband" : el.dataset.focus;
  const target = form && wanted ? form.querySelector(`[name="${wanted}"]`) : null;
  if (target) { target.focus(); if (target.select) target.select(); }
  else if (el.dataset.scanResult !== "stop") {
    const first = el.querySelector("form.administer select, form.administer input:not([type=hidden])");
    if (first) first.focus();
  }
}
document.addEventListener("htmx:afterSwap", (event) => announceVerdict(event.detail.target));
document.addEventListener("DOMContentLoaded", () => announceVerdict(document));

// Countdowns: [data-until] holds an ISO time and [data-now] the server's time when the page was
// made, so a wrong clock on the ward PC does not change what is left; .clock shows it.
function tick() {
  for (const el of document.querySelectorAll("[data-until]")) {
    const clock = el.querySelector(".clock");
    if (!clock) continue;
    if (!el.dataset.skew) {
      const server = el.dataset.now ? Date.parse(el.dataset.now) : Date.now();
      el.dataset.skew = String(Date.now() - server);
    }
    const now = Date.now() - Number(el.dataset.skew);
    const left = Math.round((Date.parse(el.dataset.until) - now) / 1000);
    const abs = Math.abs(left);
    const h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60), s = abs % 60;
    const text = (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${String(s).padStart(2, "0")}`;
    clock.textContent = left < 0 ? `−${text}` : text;
    el.classList.toggle("is-late", left < 0);
  }
}
if (document.querySelector("[data-until]")) { tick(); setInterval(tick, 1000); }
document.addEventListener("htmx:afterSwap", tick);
