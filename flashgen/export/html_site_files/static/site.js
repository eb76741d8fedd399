// flashgen study site: turn cards over, check quiz answers, render math. No dependencies.
"use strict";

function fold(text) {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

function flip(card) {
  const flipped = card.classList.toggle("flipped");
  card.setAttribute("aria-pressed", String(flipped));
}

function isRight(form) {
  const kind = form.dataset.kind;
  if (kind === "fill_in_blank") {
    const input = form.querySelector("input[name=blank]");
    return JSON.parse(input.dataset.accepted).some((a) => fold(a) === fold(input.value));
  }
  if (kind === "pairs") {
    return Array.from(form.querySelectorAll("select")).every((s) => s.value === s.dataset.answer);
  }
  // choice and true/false: exactly the correct options ticked
  return Array.from(form.querySelectorAll("input[name=answer]")).every(
    (box) => box.checked === (box.dataset.correct === "yes"),
  );
}

function check(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const right = isRight(form);
  form.classList.toggle("right", right);
  form.classList.toggle("wrong", !right);
  form.querySelector(".verdict").textContent = right ? "Correct." : "Not quite.";
  form.querySelector(".feedback").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const card of document.querySelectorAll(".card")) {
    card.addEventListener("click", () => flip(card));
    card.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        flip(card);
      }
    });
  }
  for (const form of document.querySelectorAll("form.question")) {
    form.addEventListener("submit", check);
  }
  if (typeof renderMathInElement === "function") {
    renderMathInElement(document.body, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  }
});
