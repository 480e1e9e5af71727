// tracklane console: small progressive enhancements. Every page works without
// this script; it only checks tracking numbers as they are typed, keeps the
// shipment list fresh and shows times in the reader's time zone.
"use strict";

(function () {
  const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";

  // Local times: the server writes instants in UTC ("2026-03-10 08:00 UTC")
  // inside <time class="at" datetime>. Show them in the reader's own zone
  // ("2026-03-10 16:00 UTC+8"), the UTC text kept as the tooltip. A reader on
  // UTC keeps the server's text. Runs again on the rows the live list swaps in.
  const pad = (n) => String(n).padStart(2, "0");
  const localTimes = (root) => {
    for (const t of root.querySelectorAll("time.at[datetime]")) {
      const d = new Date(t.getAttribute("datetime"));
      const east = -d.getTimezoneOffset(); // minutes, at that instant
      if (isNaN(d) || east === 0) continue;
      const minutes = Math.abs(east) % 60;
      const zone = "UTC" + (east > 0 ? "+" : "-") + Math.floor(Math.abs(east) / 60) +
        (minutes ? ":" + pad(minutes) : "");
      const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      const clock = `${pad(d.getHours())}:${pad(d.getMinutes())} ${zone}`;
      if (!t.title) t.title = t.textContent.trim().replace(/\s+/g, " ");
      const parts = t.querySelectorAll("span");
      if (parts.length === 2) { parts[0].textContent = day; parts[1].textContent = clock; }
      else t.textContent = `${day} ${clock}`;
    }
  };
  localTimes(document);

  // Validate-as-you-type: inputs with data-check ask /check/tracking and show
  // the verdict (with the fix for a wrong digit) in the element data-check names.
  for (const input of document.querySelectorAll("input[data-check]")) {
    const out = document.getElementById(input.dataset.check);
    const carrierField = input.form && input.form.querySelector("[name=carrier]");
    let timer = null;
    let seq = 0;
    const run = async () => {
      const value = input.value.trim();
      if (!out) return;
      if (value.length < 4) { out.textContent = ""; out.className = "hint"; input.removeAttribute("aria-invalid"); return; }
      const mine = ++seq;
      const params = new URLSearchParams({ number: value, lang });
      if (carrierField && carrierField.value) params.set("carrier", carrierField.value);
      try {
        const r = await fetch("/check/tracking?" + params, { headers: { accept: "application/json" } });
        if (!r.ok || mine !== seq) return;
        const v = await r.json();
        out.textContent = v.message;
        out.className = "hint " + (v.valid ? "ok" : "bad");
        input.setAttribute("aria-invalid", v.valid ? "false" : "true");
        if (v.suggestion) {
          const b = document.createElement("button");
          b.type = "button"; b.className = "link";
          b.textContent = (lang === "zh" ? " 使用 " : " Use ") + v.suggestion;
          b.addEventListener("click", () => { input.value = v.suggestion; run(); input.focus(); });
          out.append(b);
        }
      } catch (_) { /* offline: the server checks again on submit */ }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 200); });
    if (carrierField) carrierField.addEventListener("change", run);
  }

  // A file into a box: inputs with data-fill read the chosen file as text
  // into the textarea data-fill names, as UTF-8, else as GB18030 (what Excel
  // writes for a Chinese CSV). Their part of the form is hidden without this
  // script, where pasting is the way.
  for (const input of document.querySelectorAll("input[data-fill]")) {
    const box = document.getElementById(input.dataset.fill);
    const hidden = input.closest("[hidden]");
    if (hidden) hidden.removeAttribute("hidden");
    input.addEventListener("change", async () => {
      const file = input.files && input.files[0];
      if (!file || !box) return;
      const bytes = await file.arrayBuffer();
      let text;
      try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); }
      catch (_) { text = new TextDecoder("gb18030").decode(bytes); }
      box.value = text.replace(/^\uFEFF/, "");
    });
  }

  // Live list: while the page is visible and nobody is typing in the filters,
  // refetch this URL every few seconds and swap in the new rows.
  const live = document.querySelector("[data-live]");
  if (live) {
    const status = document.getElementById("live-status");
    setInterval(async () => {
      if (document.hidden) return;
      const active = document.activeElement;
      if (active && active.closest("form")) return;
      try {
        const r = await fetch(location.href, { headers: { accept: "text/html" } });
        if (!r.ok) return;
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const fresh = doc.querySelector("[data-live]");
        if (fresh) { live.replaceChildren(...fresh.childNodes); localTimes(live); }
        if (status) status.textContent = (lang === "zh" ? "已更新 " : "Updated ") + new Date().toLocaleTimeString();
      } catch (_) { /* try again next tick */ }
    }, Number(live.dataset.live) || 5000);
  }
})();
