// Waste-code autocomplete for every input marked data-code-autocomplete.
// "multi" inputs take several comma-separated codes; the last one is completed.
(function () {
  "use strict";
  const SUGGEST_URL = "/catalog/suggest?q=";

  function currentTerm(input) {
    if (input.dataset.codeAutocomplete !== "multi") return input.value.trim();
    const parts = input.value.split(/[,，]/);
    return parts[parts.length - 1].trim();
  }

  function applyChoice(input, code) {
    if (input.dataset.codeAutocomplete !== "multi") { input.value = code; return; }
    const parts = input.value.split(/[,，]/).map((p) => p.trim()).filter(Boolean);
    parts[parts.length ? parts.length - 1 : 0] = code;
    input.value = parts.join(", ") + ", ";
  }

  function render(list, items, input) {
    list.innerHTML = "";
    items.forEach((item, i) => {
      const li = document.createElement("button");
      li.type = "button";
      li.className = "list-group-item list-group-item-action" + (i === 0 ? " active" : "");
      li.setAttribute("role", "option");
      const strong = document.createElement("strong");
      strong.className = "font-monospace me-2";
      strong.textContent = item.code;
      const name = document.createElement("span");
      name.textContent = item.label.replace(item.code, "").trim();
      const meta = document.createElement("div");
      meta.className = "small text-muted";
      meta.textContent = (item.hazardous ? "⚠ " : "") + item.category_code + " " + item.category_name;
      li.append(strong, name, meta);
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); applyChoice(input, item.code); hide(list); });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
  }

  function hide(list) { list.hidden = true; list.innerHTML = ""; }

  function move(list, step) {
    const items = Array.from(list.children);
    if (!items.length) return;
    let i = items.findIndex((el) => el.classList.contains("active"));
    items[i]?.classList.remove("active");
    i = (i + step + items.length) % items.length;
    items[i].classList.add("active");
  }

  function attach(input) {
    const wrap = document.createElement("div");
    wrap.className = "position-relative-field";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    const list = document.createElement("div");
    list.className = "list-group code-suggest shadow";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrap.appendChild(list);
    let timer = null, seq = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const term = currentTerm(input);
      if (!term) { hide(list); return; }
      timer = setTimeout(async () => {
        const mine = ++seq;
        try {
          const res = await fetch(SUGGEST_URL + encodeURIComponent(term), { headers: { Accept: "application/json" } });
          if (!res.ok || mine !== seq) return;
          render(list, await res.json(), input);
        } catch (e) { hide(list); }
      }, 150);
    });
    input.addEventListener("keydown", (ev) => {
      if (list.hidden) return;
      if (ev.key === "ArrowDown") { ev.preventDefault(); move(list, 1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(list, -1); }
      else if (ev.key === "Enter") {
        const active = list.querySelector(".active");
        if (active && input.form && input.dataset.codeAutocomplete !== "search") {
          ev.preventDefault();
          applyChoice(input, active.querySelector("strong").textContent);
          hide(list);
        }
      } else if (ev.key === "Escape") { hide(list); }
    });
    input.addEventListener("blur", () => setTimeout(() => hide(list), 150));
  }

  document.querySelectorAll("[data-code-autocomplete]").forEach(attach);
})();
