// The VAS slider mirrors the number box (the box is the answer; the slider is a shortcut).
document.addEventListener("input", (event) => {
  const slider = event.target.closest("input[type=range][data-mirror]");
  if (!slider) return;
  const box = document.getElementById("n-" + slider.dataset.mirror);
  slider.classList.remove("unset");
  box.value = slider.value;
});
document.addEventListener("change", (event) => {
  const slider = event.target.closest("input[type=range][data-mirror]");
  if (slider) document.getElementById("n-" + slider.dataset.mirror).dispatchEvent(new Event("change", { bubbles: true }));
  const box = event.target.closest("input[type=number]");
  if (box) {
    const slide = box.closest(".slider").querySelector("input[type=range]");
    if (slide && box.value !== "") { slide.value = box.value; slide.classList.remove("unset"); }
  }
});
// After a refused send, move the reader to the list of problems.
document.addEventListener("DOMContentLoaded", () => {
  const errors = document.getElementById("errors") || document.getElementById("unanswered");
  if (errors) errors.focus();
});
