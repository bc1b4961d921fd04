#!/usr/bin/env node
// The replay server's live page (GET /__wsreplay/) in headless Chromium, driven by
// puppeteer-core, with a connected official `phoenix` client.
// Usage: node live_page_check.mjs CHROMIUM HTTP_BASE TOPIC [SCREENSHOT.png]
// Opens HTTP_BASE/__wsreplay/ (the server runs with --clock manual), connects a phoenix
// Socket to HTTP_BASE's ws URL and joins TOPIC, waits for the page to show the connection,
// clicks Step once and prints one JSON line:
//   {"pushes_before": N, "pushes_after_step": N, "push": first push payload or null,
//    "lit": marks lit as sent (data-dir s2c, event != phx_reply), "lit_events": [...],
//    "detail": payload panel text after clicking the lit push, "msg": the page's message line,
//    "fault_error": the message line after submitting a bad fault spec,
//    "http_held_get": the page's HTTP list while `GET /api/v1/agent/me` is held (the manual
//    clock holds every response), "rest_status": its status once Step released it,
//    "http_served": the served list then, "http_held": the held list while a
//    `POST /api/v1/agent/chats/A/messages` waits, "pending_http": its "Next pending" line,
//    "errors": [console errors, page errors, failed requests],
//    "foreign_requests": [URLs the page asked for outside HTTP_BASE]}
// Exit 0 when the page could be inspected, 3 otherwise.
import puppeteer from "puppeteer-core";
import { Socket } from "phoenix";
import WebSocket from "ws";

const [chromium, base, topic, screenshot] = process.argv.slice(2);
const out = { pushes_before: 0, pushes_after_step: 0, push: null, lit: 0, lit_events: [],
              detail: "", msg: "", errors: [], foreign_requests: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let browser = null;
let socket = null;
const killer = setTimeout(() => { process.stderr.write("live_page_check: timed out\n"); done(3); }, 90000);

async function done(code) {
  clearTimeout(killer);
  try { if (socket) socket.disconnect(); } catch (e) { /* gone */ }
  try { if (browser) await browser.close(); } catch (e) { /* gone */ }
  if (code === 0) process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(code);
}

async function waitFor(pred, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(25);
  }
  throw new Error("timed out waiting for " + what);
}

try {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 800 });
  page.on("console", (m) => { if (m.type() === "error") out.errors.push("console: " + m.text()); });
  page.on("pageerror", (e) => out.errors.push("pageerror: " + e.message));
  page.on("requestfailed", (r) => {
    // The event stream is cut when the browser closes; that is not an error of the page.
    if (!r.url().endsWith("/__wsreplay/events")) out.errors.push("requestfailed: " + r.url());
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(base + "/")) out.foreign_requests.push(r.url());
  });
  await page.goto(base + "/__wsreplay/", { waitUntil: "load" });
  await waitFor(() => page.evaluate(() => document.documentElement.dataset.wsrLive === "ready"),
                10000, "the page's first status");

  const pushes = [];
  let joined = false;
  socket = new Socket(base.replace(/^http/, "ws") + "/socket", {
    transport: WebSocket, heartbeatIntervalMs: 60000,
  });
  socket.connect();
  const channel = socket.channel(topic, {});
  channel.onMessage = (event, payload) => {
    if (event && !event.startsWith("phx_") && !event.startsWith("chan_reply")) pushes.push({ event, payload });
    return payload;
  };
  channel.join().receive("ok", () => { joined = true; });
  await waitFor(async () => joined, 10000, "the join");
  // The page has drawn the connection and its pending push before we step.
  await waitFor(() => page.evaluate(() => document.querySelectorAll(".frame.pending.next").length > 0),
                10000, "the next pending frame on the page");
  await sleep(300);  // manual clock: nothing may arrive on its own
  out.pushes_before = pushes.length;

  await page.click("#step");
  await waitFor(() => pushes.length >= 1, 5000, "the stepped push");
  await waitFor(() => page.evaluate(() =>
    document.querySelectorAll('.frame.lit[data-dir="s2c"]:not([data-event="phx_reply"])').length > 0),
    5000, "the lit push on the page");
  await sleep(500);  // a second push would have arrived by now
  out.pushes_after_step = pushes.length;
  out.push = pushes.length ? pushes[0] : null;
  const lit = await page.evaluate(() => Array.from(
    document.querySelectorAll('.frame.lit[data-dir="s2c"]:not([data-event="phx_reply"])'),
    (e) => e.getAttribute("data-event")));
  out.lit = lit.length;
  out.lit_events = lit;
  // An SVG line is too thin for a synthetic mouse click at its centre: dispatch the click.
  await page.$eval('.frame.lit[data-dir="s2c"]:not([data-event="phx_reply"])',
                   (e) => e.dispatchEvent(new MouseEvent("click", { bubbles: true })));
  out.detail = await page.$eval("#detail-body", (e) => e.textContent);
  out.msg = await page.$eval("#msg", (e) => e.textContent);
  // The REST half: a held response is listed with what it waits for; Step releases it, and
  // the page lists it as served.
  const texts = (sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent));
  const heldGet = fetch(base + "/api/v1/agent/me");
  await waitFor(async () => (await texts("#http-held li")).length > 0, 5000, "the held GET");
  out.http_held_get = await texts("#http-held li");
  await page.click("#step");
  out.rest_status = (await heldGet).status;
  await waitFor(async () => (await texts("#http-served li")).length > 0, 5000, "the served GET");
  out.http_served = await texts("#http-served li");
  fetch(base + "/api/v1/agent/chats/A/messages", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message: { content: "hi" } }),
  }).catch(() => { /* cut when this script ends */ });
  await waitFor(async () => (await texts("#http-held li")).some((t) => t.includes("POST")), 5000,
                "the held POST");
  out.http_held = await texts("#http-held li");
  out.pending_http = await texts("#pending li.http-held");
  // A bad fault spec: the server's 400 text is shown on the page (Chromium logs that 400 as a
  // console error, which is expected here and only here).
  const errorsBefore = out.errors.length;
  await page.type("#fault-spec", "explode@frame:1");
  await page.click("#fault-form button");
  await waitFor(() => page.$eval("#msg", (e) => e.textContent.startsWith("HTTP 400")), 5000,
                "the fault form's error");
  out.fault_error = await page.$eval("#msg", (e) => e.textContent);
  out.errors = out.errors.filter((e, i) => i < errorsBefore || !e.includes("status of 400"));
  if (screenshot) await page.screenshot({ path: screenshot });
  await done(0);
} catch (e) {
  process.stderr.write("live_page_check: " + (e.stack || e) + "\n");
  await done(3);
}
