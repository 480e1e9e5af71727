// End-to-end test of tracklane's pages in a real headless Chromium.
//
// Starts `tracklane demo` on loopback with a fresh database, reads the keys it
// writes, and walks what a seller does — sign in, filter "missing tracking",
// open a shipment, add a tracking ID (a wrong one first), switch automation
// off and set a window, search the carrier directory, subscribe a webhook and
// see its secret once, switch language, read times in their own time zone —
// then what the operator and a buyer see (warehouses, insights, the public
// tracking page). Every walk runs on a desktop and a phone-sized window, in
// English and in Chinese, and writes a screenshot per step to target/e2e/.
//
// Environment:
//   TRACKLANE_BIN   the binary (default: $CARGO_TARGET_DIR or target, /debug/tracklane)
//   CHROMIUM        the browser (default /usr/bin/chromium)
//   E2E_SHOTS       where screenshots go (default target/e2e)
// Ends with "N passed, M failed"; exits non-zero on any failure.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TARGET = process.env.CARGO_TARGET_DIR || join(ROOT, "target");
const BIN = resolve(ROOT, process.env.TRACKLANE_BIN || join(TARGET, "debug/tracklane"));
const SHOTS = resolve(ROOT, process.env.E2E_SHOTS || "target/e2e");
const BROWSER = process.env.CHROMIUM || "/usr/bin/chromium";
const STARTUP_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 15_000;

const VIEWPORTS = {
  desktop: { viewport: { width: 1366, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
};
const WORDS = {
  en: {
    signin: "Sign in", progress: "Shipment progress", missing: "missing tracking", saved: "Tracking ID saved",
    automationOff: "Automatic window updates are off", windowSaved: "Delivery window saved", directory: "Carrier directory",
    legs: "Carriers of every leg", warehouses: "Warehouses", insights: "Insights", checkDigit: "check digit", other: "zh-CN",
    otherHeading: "货件处理进度", unknownKey: "not known", webhooks: "Webhooks", secretOnce: "shown only this once",
    imported: "Saved: 1.",
    receiving: "Receiving", receivingClosed: "Receiving closed",
  },
  zh: {
    signin: "登录", progress: "货件处理进度", missing: "缺少追踪", saved: "追踪编码已保存",
    automationOff: "已关闭自动更新", windowSaved: "送达时段已保存", directory: "承运商目录",
    legs: "各段承运商", warehouses: "仓库", insights: "数据洞察", checkDigit: "校验码", other: "en",
    otherHeading: "Shipment progress", unknownKey: "密钥无效", webhooks: "Webhook 通知", secretOnce: "仅显示这一次",
    imported: "已保存：1 个",
    receiving: "仓库接收", receivingClosed: "接收已结束于",
  },
};

let passed = 0;
let failed = 0;
const failures = [];

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed += 1;
    failures.push(name);
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

// A valid UPS 1Z number with `serial` in its package digits (the check digit
// is computed as UPS does: odd positions doubled, letters folded to digits).
function upsNumber(serial) {
  const body = "999AA10" + String(serial).padStart(8, "0");
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    let d = /[0-9]/.test(c) ? Number(c) : (c.charCodeAt(0) - 63) % 10;
    if (i % 2 === 1) d *= 2;
    sum += d;
  }
  return "1Z" + body + ((10 - (sum % 10)) % 10);
}

function wrongDigit(number) {
  const last = Number(number.at(-1));
  return number.slice(0, -1) + String((last + 1) % 10);
}

async function startHub(work) {
  const port = await freePort();
  const hub = spawn(BIN, ["demo", "--no-open", "--listen", `127.0.0.1:${port}`, "--db", `sqlite://${join(work, "demo.db")}`, "--speed", "60"], {
    cwd: work,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  hub.stdout.on("data", (d) => (log += d));
  hub.stderr.on("data", (d) => (log += d));
  const keysFile = join(work, "tracklane-data/demo-keys.json");
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!existsSync(keysFile) || !log.includes("is running at")) {
    if (hub.exitCode !== null) throw new Error(`the hub exited early:\n${log}`);
    if (Date.now() > deadline) throw new Error(`the hub did not start in time:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { hub, base: `http://127.0.0.1:${port}`, keys: JSON.parse(readFileSync(keysFile, "utf8")) };
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function signIn(page, base, key, w) {
  await page.goto(`${base}/signin`);
  await page.locator("#key").fill(key);
  await page.locator("form.card button[type=submit]").click();
  await page.waitForURL((u) => !u.pathname.startsWith("/signin"));
}

// One seller walk at one size in one language. The Chinese walks read the
// pages from Shanghai (UTC+8), the English ones from UTC.
async function sellerWalk(browser, base, keys, size, lang, serial) {
  const w = WORDS[lang];
  const tag = `${size}-${lang}`;
  const zone = lang === "zh" ? { id: "Asia/Shanghai", label: "UTC+8", hours: 8 } : { id: "UTC", label: "UTC", hours: 0 };
  const context = await browser.newContext({
    ...VIEWPORTS[size], locale: lang === "zh" ? "zh-CN" : "en-US", timezoneId: zone.id,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const seller = keys.sellers[serial % keys.sellers.length].key;
  const number = upsNumber(serial * 7919 + 17);
  let shipmentPath = "";

  await step(`${tag}: a wrong key is refused with a reason`, async () => {
    await page.goto(`${base}/signin`);
    assert((await page.locator("html").getAttribute("lang")).startsWith(lang === "zh" ? "zh" : "en"), "page language follows Accept-Language");
    await page.locator("#key").fill("tls_not_a_real_key");
    await page.locator("form.card button[type=submit]").click();
    await page.locator("#signin-error").waitFor();
    assert((await page.locator("#signin-error").innerText()).includes(w.unknownKey), "the refusal explains itself");
    await shot(page, `${tag}-01-signin-refused`);
  });

  await step(`${tag}: sign in lands on shipment progress`, async () => {
    await signIn(page, base, seller, w);
    assert((await page.locator("h1").innerText()).includes(w.progress), "heading");
    const rows = await page.locator("#shipments tbody tr").count();
    assert(rows > 0, "the seller sees shipments");
    await shot(page, `${tag}-02-start`);
  });

  await step(`${tag}: times are shown in the reader's time zone (${zone.label})`, async () => {
    const times = await page.$$eval("#shipments time.at", (ts) =>
      ts.map((t) => ({ at: t.getAttribute("datetime"), text: t.textContent.replace(/\s+/g, " ").trim(), title: t.title })));
    assert(times.length > 0, "rows carry times");
    for (const t of times) {
      const local = new Date(Date.parse(t.at) + zone.hours * 3_600_000).toISOString();
      const expected = `${local.slice(0, 10)} ${local.slice(11, 16)} ${zone.label}`;
      assert(t.text === expected, `${t.at} reads "${t.text}", not "${expected}"`);
      if (zone.hours) assert(t.title.endsWith(" UTC") && t.title !== t.text, `the UTC time stays as the tooltip: "${t.title}"`);
    }
  });

  await step(`${tag}: filter "missing tracking" keeps the state in the URL`, async () => {
    await page.locator("#missing").check();
    await page.locator("#shipping").selectOption("SMALL_PARCEL");
    await page.locator("form.filters button[type=submit]").click();
    await page.waitForURL(/missing=1/);
    // Read every row at once: the page's script refreshes the list.
    const rows = await page.$$eval("#shipments tbody tr", (trs) =>
      trs.map((tr) => ({ text: tr.innerText, href: tr.querySelector("a").getAttribute("href") })));
    assert(rows.length > 0, "some shipments miss tracking");
    rows.forEach((row, i) => assert(row.text.includes(w.missing), `row ${i} is missing tracking`));
    assert(await page.locator("#missing").isChecked(), "the checkbox stays checked");
    await shot(page, `${tag}-03-missing-tracking`);
    shipmentPath = rows[serial % rows.length].href;
  });

  await step(`${tag}: open a shipment`, async () => {
    await page.goto(base + shipmentPath);
    const id = shipmentPath.split("/").pop();
    assert((await page.locator("p.id").first().innerText()).includes(id), "the summary names the shipment");
    await page.locator("#tracking-form").waitFor();
    // The demo's engine passes run every few seconds: the first may not have
    // reached this shipment yet, so reload a few times before judging.
    for (let i = 0; i < 10 && !(await page.locator("#eta").isVisible()); i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    const eta = await page.locator("#eta").innerText();
    assert(/\d{4}-\d{2}-\d{2} \(\d{4}-\d{2}-\d{2} – \d{4}-\d{2}-\d{2}\)/.test(eta), `the ETA shows its day and interval: ${eta}`);
    await shot(page, `${tag}-04-summary`);
  });

  await step(`${tag}: "needs attention" opens the shipments it counts`, async () => {
    await page.goto(`${base}/`);
    const chips = page.locator('#attention a.chip[href*="exception="]');
    // The engine's first pass may not have run yet when the walk starts.
    for (let i = 0; i < 10 && (await chips.count()) === 0; i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    const counts = (await chips.locator(".count").allInnerTexts()).map(Number);
    assert(counts.length > 0 && counts.every((c) => c > 0), `each kind shown counts shipments: ${counts}`);
    // The kind with the most shipments, so the engine's next pass cannot empty it.
    await chips.nth(counts.indexOf(Math.max(...counts))).click();
    await page.waitForURL(/exception=/);
    assert((await page.locator("#attention a.chip[aria-current]").count()) === 1, "the chip of the list shown is marked");
    const open = await page.$$eval("#shipments tbody tr", (trs) => trs.map((tr) => Number(tr.querySelectorAll("td.num")[2].textContent)));
    assert(open.length > 0 && open.every((n) => n > 0), `every row listed has an open exception: ${open}`);
    await shot(page, `${tag}-04b-attention`);
    await page.goto(base + shipmentPath);
  });

  await step(`${tag}: a closed shipment shows what the warehouse counted`, async () => {
    await page.goto(`${base}/?status=CLOSED`);
    const rows = page.locator("#shipments tbody tr");
    assert((await rows.count()) > 0, "the demo's warehouses have closed some shipments");
    await rows.first().locator("a").first().click();
    await page.waitForURL(/\/shipments\//);
    const section = page.locator("#receiving");
    assert((await section.locator("h2").innerText()).includes(w.receiving), "the receiving section is there");
    assert((await page.locator("#receiving-closed").innerText()).includes(w.receivingClosed), "it says when receiving closed");
    const received = await section.locator("tbody tr").count();
    assert(received > 0, "each SKU is listed with what was counted");
    await section.scrollIntoViewIfNeeded();
    await shot(page, `${tag}-04c-receiving`);
    await page.goto(base + shipmentPath);
  });

  await step(`${tag}: a wrong tracking ID is explained as it is typed, and refused`, async () => {
    await page.locator("#carrier").selectOption("UPS");
    await page.locator("#number").fill(wrongDigit(number));
    const hint = page.locator("#number-check");
    await page.waitForFunction(() => document.querySelector("#number-check").classList.contains("bad"));
    assert((await hint.innerText()).includes(w.checkDigit), `the hint names the check digit: ${await hint.innerText()}`);
    assert(/1Z999AA1?\d+/.test((await hint.innerText()).split(/did you mean|是否为/)[1] || ""), "the hint suggests a corrected number");
    await page.locator("#tracking-form").scrollIntoViewIfNeeded();
    await shot(page, `${tag}-05-wrong-digit-typed`);
    await page.locator("#tracking-form button[type=submit]").click();
    await page.locator("#number[aria-invalid=true]").waitFor();
    assert((await page.locator("#number-check").innerText()).includes(w.checkDigit), "the server refuses it too");
    await page.locator("#tracking-form").scrollIntoViewIfNeeded();
    await shot(page, `${tag}-06-wrong-digit-refused`);
  });

  await step(`${tag}: the right tracking ID is saved`, async () => {
    await page.locator("#carrier").selectOption("UPS");
    await page.locator("#number").fill(number);
    await page.waitForFunction(() => document.querySelector("#number-check").classList.contains("ok"));
    await page.locator("#tracking-form button[type=submit]").click();
    await page.locator("#flash").waitFor();
    assert((await page.locator("#flash").innerText()).includes(w.saved), "saved");
    assert((await page.locator("#tracking").innerText()).includes(number), "the box shows the number");
    await page.locator("#tracking").scrollIntoViewIfNeeded();
    await shot(page, `${tag}-07-tracking-saved`);
  });

  await step(`${tag}: a spreadsheet saved by Chinese Excel uploads, its mistyped line explained`, async () => {
    // Small parcels only: a freight shipment has no boxes to name.
    await page.goto(`${base}/?missing=1&shipping=SMALL_PARCEL`);
    // Read every row at once: the page's script refreshes the list, and a
    // row counted a moment ago may be gone when it is asked for.
    const paths = await page.$$eval("#shipments tbody tr", (trs) => trs.map((tr) => tr.querySelector("a").getAttribute("href")));
    assert(paths.length > 0, "small-parcel shipments miss tracking");
    const other = paths[(serial + 1) % paths.length];
    await page.goto(base + other);
    const id = other.split("/").pop();
    const box = await page.locator("#box option").first().getAttribute("value");
    await page.goto(`${base}/`);
    await page.locator("#import").click();
    await page.waitForURL(/\/tracking\/import$/);
    // "货件编号,箱号,承运商,追踪编码" in GBK, as Excel saves a Chinese CSV.
    const header = Buffer.from("bbf5bcfeb1e0bac52ccfe4bac52cb3d0d4cbc9cc2cd7b7d7d9b1e0c2eb", "hex");
    const good = upsNumber(serial * 7919 + 4242);
    const body = Buffer.from(`\n${id},${box},UPS,${good}\n${id},${box},UPS,${wrongDigit(upsNumber(serial * 7919 + 4243))}\n`);
    await page.locator("#file").setInputFiles({ name: "tracking.csv", mimeType: "text/csv", buffer: Buffer.concat([header, body]) });
    await page.waitForFunction(() => document.querySelector("#rows").value.startsWith("货件编号"));
    await page.locator("#import-form button[type=submit]").click();
    await page.locator("#import-result").waitFor();
    assert((await page.locator("#import-result").innerText()).includes(w.imported), await page.locator("#import-result").innerText());
    const refused = await page.locator("#import-rejected tbody tr").allInnerTexts();
    assert(refused.length === 1 && refused[0].includes("3") && refused[0].includes("trackingNumber"), `line 3 is refused: ${refused}`);
    await shot(page, `${tag}-07b-import`);
    await page.goto(base + shipmentPath);
  });

  await step(`${tag}: switch automation off and set the window`, async () => {
    await page.locator("#automation").uncheck();
    await page.locator("form[action$='/automation'] button").click();
    await page.locator("#flash").waitFor();
    assert((await page.locator("#flash").innerText()).includes(w.automationOff), "automation off");
    assert(!(await page.locator("#automation").isChecked()), "the switch stays off");
    await page.locator("#window-day").fill("2027-01-13");
    await page.locator("#window-reason").fill(`e2e ${tag}`);
    await page.locator("form[action$='/window'] button").click();
    await page.locator("#flash").waitFor();
    assert((await page.locator("#flash").innerText()).includes(w.windowSaved), "window saved");
    assert((await page.locator("#window-current").innerText()).includes("2027-01-10 – 2027-01-16"), "the week of Jan 13, Sunday to Saturday");
    assert((await page.locator("#window-history").innerText()).includes(`e2e ${tag}`), "the change is in the history");
    await page.locator("#window").scrollIntoViewIfNeeded();
    await shot(page, `${tag}-08-window-set`);
  });

  await step(`${tag}: search the carrier directory`, async () => {
    await page.goto(`${base}/carriers`);
    assert((await page.locator("h1").innerText()).includes(w.directory), "heading");
    await page.locator("#q").fill("ups");
    await page.locator("#dw_automation").check();
    await page.locator("form.filters button[type=submit]").click();
    await page.waitForURL(/q=ups/);
    const rows = page.locator("#carriers tbody tr");
    assert((await rows.count()) === 1, "one carrier matches");
    assert((await rows.first().innerText()).includes("UPS"), "it is UPS");
    assert((await rows.first().locator("a").getAttribute("href")).startsWith("http"), "it links to its website");
    await shot(page, `${tag}-09-carriers`);
  });

  await step(`${tag}: subscribe a webhook and see its secret once`, async () => {
    const url = "http://127.0.0.1:9/hook";
    await page.goto(`${base}/webhooks`);
    assert((await page.locator("h1").innerText()).includes(w.webhooks), "heading");
    assert((await page.locator("header nav a[href='/webhooks']").getAttribute("aria-current")) === "page", "the navigation marks the page");
    for (const box of await page.locator("#webhook-events input[type=checkbox]").all()) {
      assert(await box.isChecked(), "every event kind is checked by default");
    }
    await page.locator("#webhook-url").fill(url);
    await page.locator("#webhook-form button[type=submit]").click();
    await page.locator("#webhook-secret").waitFor();
    const secret = await page.locator("#webhook-secret").innerText();
    assert(/^whsec_[0-9a-f]{64}$/.test(secret), `the secret is shown: ${secret}`);
    assert((await page.locator("#webhook-created").innerText()).includes(w.secretOnce), "says it is shown only once");
    assert((await page.locator("#webhooks").innerText()).includes(url), "the subscription is listed");
    await page.locator("#webhook-created").scrollIntoViewIfNeeded();
    await shot(page, `${tag}-10-webhook-secret`);
  });

  await step(`${tag}: switch language, remembered across pages`, async () => {
    await page.goto(`${base}/`);
    await page.locator("[data-lang-switch]").click();
    await page.waitForLoadState();
    assert((await page.locator("html").getAttribute("lang")) === w.other, "the page switched language");
    assert((await page.locator("h1").innerText()).includes(w.otherHeading), "the heading is in the other language");
    await page.goto(`${base}/carriers`);
    assert((await page.locator("html").getAttribute("lang")) === w.other, "the choice is remembered");
    await shot(page, `${tag}-11-language-switched`);
  });

  await context.close();

  // A buyer, without a session, in the walk's language.
  const buyer = await browser.newContext({ ...VIEWPORTS[size], locale: lang === "zh" ? "zh-CN" : "en-US" });
  buyer.setDefaultTimeout(STEP_TIMEOUT_MS);
  const bp = await buyer.newPage();
  await step(`${tag}: the public tracking page needs no sign-in`, async () => {
    await bp.goto(`${base}/track/${number}`);
    assert((await bp.locator("h1").innerText()).includes(number), "names the parcel");
    assert((await bp.locator("#h-legs").innerText()).includes(w.legs), "lists the carriers of every leg");
    assert((await bp.locator("#legs").innerText()).includes("UPS"), "UPS carries the leg");
    await shot(bp, `${tag}-12-public-tracking`);
    await bp.goto(`${base}/track/${wrongDigit(number)}`);
    assert((await bp.locator("#track-unknown").innerText()).includes(w.checkDigit), "an unknown wrong number is explained");
  });
  await buyer.close();
}

async function operatorWalk(browser, base, keys, size, lang) {
  const w = WORDS[lang];
  const tag = `${size}-${lang}-operator`;
  const context = await browser.newContext({ ...VIEWPORTS[size], locale: lang === "zh" ? "zh-CN" : "en-US" });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  await step(`${tag}: warehouses show capacity, congestion and incoming volume`, async () => {
    await signIn(page, base, keys.operator, w);
    await page.goto(`${base}/warehouses`);
    assert((await page.locator("h1").innerText()).includes(w.warehouses), "heading");
    assert((await page.locator("#warehouses tbody tr").count()) >= 10, "every warehouse");
    assert((await page.locator("#warehouses svg").count()) > 0, "incoming volume is drawn");
    await shot(page, `${tag}-13-warehouses`);
  });
  await step(`${tag}: insights are drawn as SVG`, async () => {
    await page.goto(`${base}/insights`);
    assert((await page.locator("h1").innerText()).includes(w.insights), "heading");
    for (const id of ["#chart-ontime", "#chart-transit", "#chart-coverage", "#chart-window"]) {
      assert((await page.locator(id).count()) === 1, `${id} is drawn`);
    }
    await shot(page, `${tag}-14-insights`);
  });
  await context.close();
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "tracklane-e2e-"));
  let hub;
  let browser;
  const started = Date.now();
  try {
    const started_hub = await startHub(work);
    hub = started_hub.hub;
    const { base, keys } = started_hub;
    browser = await chromium.launch({
      executablePath: BROWSER,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    let serial = 1;
    for (const size of ["desktop", "phone"]) {
      for (const lang of ["en", "zh"]) {
        await sellerWalk(browser, base, keys, size, lang, serial++);
      }
    }
    await operatorWalk(browser, base, keys, "desktop", "en");
    await operatorWalk(browser, base, keys, "phone", "zh");
  } catch (e) {
    failed += 1;
    console.log(`FAIL setup: ${e.message}`);
  } finally {
    if (browser) await browser.close();
    if (hub && hub.exitCode === null) hub.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`screenshots in ${SHOTS}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length) console.log(`failed: ${failures.join("; ")}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
