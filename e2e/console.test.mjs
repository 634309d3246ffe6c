// Browser tests of the weiwan console, run by crates/weiwan-cli/tests/it/console.rs against
// `weiwan demo` (demo logins, password in WEIWAN_PASSWORD). Tests run in order and build on
// each other: the manager's customer gives the clerk an MSISDN to look up, the planner's target
// group is the campaign's, the planner's campaign is what the approver approves.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const BASE = process.env.WEIWAN_URL;
const PASSWORD = process.env.WEIWAN_PASSWORD;
const SHOTS = process.env.SCREENSHOTS;
const SLOW = 120_000;

let browser;
/** What one test leaves for the next. */
const found = {};

before(async () => {
  assert.ok(BASE && PASSWORD && SHOTS, "WEIWAN_URL, WEIWAN_PASSWORD and SCREENSHOTS are set");
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
});

async function newPage(locale = "zh-CN") {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(SLOW);
  return context.newPage();
}

async function signIn(login, locale = "zh-CN") {
  const page = await newPage(locale);
  await page.goto(`${BASE}/login`);
  await page.fill("#login input[name=login]", login);
  await page.fill("#login input[name=password]", PASSWORD);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith("/login")),
    page.click("#login button[type=submit]"),
  ]);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

async function navLinks(page) {
  return page.$$eval("header nav a", (links) => links.map((a) => new URL(a.href).pathname));
}

test("the sign-in page speaks the browser's language and switches on request", async () => {
  const page = await newPage("zh-CN");
  await page.goto(`${BASE}/login`);
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.match(await page.textContent("#login button[type=submit]"), /登录/);
  await shot(page, "login-zh");
  await Promise.all([page.waitForURL(/\/login/), page.click("#switch-language")]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.match(await page.textContent("#login button[type=submit]"), /Sign in/);

  const english = await newPage("en-US");
  await english.goto(`${BASE}/login`);
  assert.equal(await english.getAttribute("html", "lang"), "en");
  await english.fill("#login input[name=login]", "manager");
  await english.fill("#login input[name=password]", "not-the-password");
  await english.click("#login button[type=submit]");
  await english.waitForSelector("#login .error");
  assert.match(await english.textContent("#login .error"), /Wrong login or password/);
  await english.context().close();
  await page.context().close();
});

test("each role starts on its own page, sees only its links, and is refused the others", async () => {
  const roles = [
    { login: "manager", home: "/work", sees: ["/work", "/lookup", "/performance", "/visit-plans"], refused: ["/approvals", "/campaigns/new", "/jobs"] },
    { login: "clerk", home: "/work", sees: ["/work", "/lookup"], refused: ["/campaigns", "/dashboard"] },
    { login: "agent", home: "/work", sees: ["/work", "/lookup"], refused: ["/segments", "/model"] },
    { login: "planner", home: "/campaigns", sees: ["/tags", "/segments", "/campaigns", "/model", "/dashboard"], refused: ["/approvals", "/work", "/lookup"] },
    { login: "approver", home: "/approvals", sees: ["/campaigns", "/approvals", "/dashboard"], refused: ["/segments", "/campaigns/new", "/work"] },
    { login: "analyst", home: "/model", sees: ["/model", "/kpis", "/dashboard", "/jobs"], refused: ["/approvals", "/segments"] },
    { login: "executive", home: "/dashboard", sees: ["/kpis", "/dashboard", "/performance"], refused: ["/work", "/lookup", "/campaigns", "/model"] },
    { login: "admin", home: "/jobs", sees: ["/jobs"], refused: ["/work", "/lookup", "/campaigns", "/dashboard"] },
  ];
  for (const role of roles) {
    const page = await signIn(role.login);
    assert.equal(new URL(page.url()).pathname, role.home, `${role.login} starts at ${role.home}`);
    assert.equal(await page.getAttribute("header .who", "data-role"), role.login);
    const links = await navLinks(page);
    for (const href of role.sees) assert.ok(links.includes(href), `${role.login} sees ${href}: ${links}`);
    for (const href of role.refused) {
      assert.ok(!links.includes(href), `${role.login} has no link to ${href}`);
      // Not only hidden: the server refuses the page itself.
      const response = await page.goto(`${BASE}${href}`);
      assert.equal(response.status(), 403, `${role.login} GET ${href}`);
      assert.ok(await page.isVisible(".error[data-status='403']"));
    }
    await page.goto(`${BASE}${role.home}`);
    await Promise.all([page.waitForURL(/\/login/), page.click("#sign-out")]);
    // Signed out: pages send you to sign in again.
    await page.goto(`${BASE}${role.home}`);
    assert.equal(new URL(page.url()).pathname, "/login");
    await page.context().close();
  }
});

/** Opens the customer page, waiting for the policy index the server builds at start. */
async function openCustomer(page, href) {
  for (let tries = 0; ; tries++) {
    await page.goto(href);
    if (!(await page.isVisible("#policy .notice"))) return;
    assert.ok(tries < 120, "the policy index was not built within two minutes");
    await page.waitForTimeout(1000);
  }
}

test("an account manager works a task end to end, in Chinese and then in English", async () => {
  const page = await signIn("manager");
  assert.match(await page.textContent("main h1"), /今日任务/);
  await page.waitForSelector("#quotas tr[data-tier=diamond]");
  await shot(page, "workbench-zh");
  const hrefs = await page.$$eval("#tasks a[href^='/customers/']", (links) => [...new Set(links.map((a) => a.href))]);
  assert.ok(hrefs.length > 0, "the demo's batch gave the manager tasks");
  // A customer with churn reasons and offers (most of the manager's task customers have both).
  let chosen = null;
  for (const href of hrefs.slice(0, 30)) {
    await openCustomer(page, href);
    const reasons = await page.$$eval("#lines td.reasons", (cells) => cells.map((c) => c.textContent.trim()).filter(Boolean));
    const offers = await page.$$("#offers tbody tr");
    const forms = await page.$$("form.outcome");
    if (reasons.length > 0 && offers.length > 0 && forms.length > 0) {
      chosen = href;
      break;
    }
  }
  assert.ok(chosen, "a customer with churn reasons, offers and a task to work");
  assert.match(await page.textContent("#policy h2"), /统一政策视图/);
  found.msisdn = (await page.textContent("#lines td.msisdn")).trim();
  assert.match(found.msisdn, /^1\d{10}$/, "the customer's own manager sees the full number");
  await shot(page, "customer-zh");

  const form = page.locator("form.outcome").first();
  const block = page.locator(".task").filter({ has: form });
  const taskId = await block.getAttribute("data-task");
  await form.locator("select[name=outcome]").selectOption("retained");
  await form.locator("textarea[name=note]").fill("客户同意续约 / agreed to renew");
  await form.locator("button[type=submit]").click();
  const recorded = page.locator(`#task-${taskId}.recorded`);
  await recorded.waitFor();
  assert.equal(await recorded.locator("[data-outcome]").getAttribute("data-outcome"), "retained");
  assert.match(await recorded.textContent(), /挽留成功/);

  // The same customer in English, after switching the language.
  await Promise.all([page.waitForLoadState("load"), page.click("#switch-language")]);
  await page.waitForSelector("html[lang=en]");
  assert.match(await page.textContent("#policy h2"), /Unified policy view/);
  assert.match(await page.textContent("#open-tasks h2"), /Open tasks/);
  // The task is done now: it is no longer open on the customer's page.
  assert.equal(await page.locator(`#task-${taskId}`).count(), 0);
  await shot(page, "customer-en");
  // The choice is kept for the person, not the browser: a new browser shows English too.
  const again = await signIn("manager", "zh-CN");
  assert.equal(await again.getAttribute("html", "lang"), "en");
  await Promise.all([again.waitForLoadState("load"), again.click("#switch-language")]);
  await again.waitForSelector("html[lang=zh-CN]");
  await again.context().close();
  await page.context().close();
});

test("an account manager keeps the visit log, then reads the appraisal and makes next month's plan", async () => {
  const page = await signIn("manager");
  const href = await page.$eval("#tasks a[href^='/customers/']", (a) => a.href);
  await page.goto(href);
  // Today in China time, as the server checks it.
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const form = page.locator("#visit-log form.note-form");
  await form.locator("input[name=visited_on]").fill(today);
  await form.locator("select[name=channel]").selectOption("visit");
  await form.locator("input[name=topic]").fill("合约到期沟通");
  await form.locator("textarea[name=promises]").fill("赠送10GB流量");
  await Promise.all([page.waitForLoadState("load"), form.locator("button[type=submit]").click()]);
  const row = page.locator("#visit-log tr[data-note]").first();
  await row.waitFor();
  assert.match(await row.textContent(), /合约到期沟通/);
  await shot(page, "visit-log-zh");
  // The note's page lists its version and offers its author the edit form.
  await Promise.all([page.waitForLoadState("load"), row.locator("a").click()]);
  assert.equal(await page.locator("#history tr[data-version]").count(), 1);
  const edit = page.locator("form.note-form");
  await edit.locator("input[name=topic]").fill("合约到期沟通（已约下周签约）");
  await Promise.all([page.waitForLoadState("load"), edit.locator("button[type=submit]").click()]);
  assert.equal(await page.locator("#history tr[data-version]").count(), 2);
  // The appraisal counts the visit for the manager; next month's plan is made on request.
  await page.goto(`${BASE}/performance`);
  const mine = page.locator("#by-manager tr[data-manager]");
  assert.equal(await mine.count(), 1, "a manager sees their own row");
  assert.notEqual((await mine.locator("[data-measure=visits_per_day]").textContent()).trim(), "0.00");
  await shot(page, "performance-zh");
  await page.goto(`${BASE}/visit-plans`);
  await Promise.all([page.waitForLoadState("load"), page.click("form[method=post][action='/visit-plans'] button[type=submit]")]);
  assert.ok((await page.locator("#plan tr[data-customer]").count()) > 0, "the plan lists contacts");
  await page.context().close();
});

test("a store clerk finds a customer by MSISDN and sees the masked pop-up view", async () => {
  assert.ok(found.msisdn, "the manager's test found a customer");
  const page = await signIn("clerk");
  await page.goto(`${BASE}/lookup`);
  await page.fill("#lookup input[name=msisdn]", found.msisdn);
  await Promise.all([page.waitForURL(/\/customers\//), page.click("#lookup button[type=submit]")]);
  assert.match(page.url(), /channel=store/);
  await page.waitForSelector("#policy");
  const shown = (await page.textContent("#lines td.msisdn")).trim();
  assert.match(shown, /^1\d{2}\*{4}\d{4}$/, `masked for the store: ${shown}`);
  await shot(page, "lookup-store");
  await page.goto(`${BASE}/lookup?msisdn=12345`);
  assert.ok(await page.isVisible("main .error"));
  await page.context().close();
});

test("a planner builds a target group with a live count and saves it", async () => {
  const page = await signIn("planner");
  await page.goto(`${BASE}/segments`);
  await page.fill("#segment-builder textarea[name=conditions]", "arpu_3m=120..");
  await page.click("#segment-builder button[type=button]");
  await page.waitForSelector("#segment-count");
  const count = Number(await page.getAttribute("#segment-count", "data-count"));
  assert.ok(count > 0, `members: ${count}`);
  await page.fill("#segment-builder input[name=name]", "e2e_vips");
  await page.fill("#segment-builder input[name=description]", "ARPU 120+");
  await shot(page, "segment-builder");
  await Promise.all([page.waitForLoadState("load"), page.click("#save-segment")]);
  await page.waitForSelector("tr[data-segment=e2e_vips]");
  await page.context().close();
});

test("a planner plans, previews and submits a campaign; an approver approves it", async () => {
  const page = await signIn("planner");
  await page.goto(`${BASE}/campaigns/new`);
  await page.fill("input[name=campaign_id]", "e2e-renewal");
  await page.fill("input[name=name_zh]", "端到端续约");
  await page.fill("input[name=name_en]", "End-to-end renewal");
  await page.selectOption("select[name=target_group]", "e2e_vips");
  await page.locator("input[name=offer]").first().check();
  await page.fill("textarea[name=script_zh]", "您好，预存话费送月返。");
  await page.fill("textarea[name=script_en]", "Hello, prepay and get monthly credit back.");
  await page.fill("input[name=budget]", "20000");
  await Promise.all([page.waitForURL(/\/campaigns\/e2e-renewal$/), page.click("#create-campaign")]);
  assert.equal(await page.getAttribute("#campaign", "data-status"), "draft");
  await page.click("#preview-campaign");
  await page.waitForSelector("#preview-treated");
  assert.ok(Number(await page.textContent("#preview-treated")) > 0, "the preview treats some lines");
  await shot(page, "campaign-preview");
  await Promise.all([page.waitForLoadState("load"), page.click("button[data-action=submit]")]);
  await page.waitForSelector("#campaign[data-status=submitted]");
  assert.equal(await page.locator("button[data-action=approve]").count(), 0, "a planner cannot approve");
  // Nor by posting the form directly: the server refuses.
  const forged = await page.request.post(`${BASE}/campaigns/e2e-renewal/actions/approve`, { form: { comment: "self" } });
  assert.equal(forged.status(), 403);
  await page.context().close();

  const approver = await signIn("approver");
  const item = approver.locator("section.inbox[data-campaign='e2e-renewal']");
  await item.waitFor();
  await shot(approver, "approvals");
  await item.locator("input[name=comment]").first().fill("同意 / approved");
  await Promise.all([approver.waitForURL(/\/campaigns\/e2e-renewal$/), item.locator("button[data-action=approve]").click()]);
  await approver.waitForSelector("#campaign[data-status=approved]");
  await approver.context().close();
});

test("an analyst reads the model's ROC, lift and calibration, and the KPIs", async () => {
  const page = await signIn("analyst", "en-US");
  assert.equal(new URL(page.url()).pathname, "/model");
  const auc = Number(await page.textContent("#model-auc"));
  assert.ok(auc > 0.6 && auc <= 1, `out-of-time AUC ${auc}`);
  for (const id of ["chart-roc", "chart-lift", "chart-calibration"]) {
    await page.waitForSelector(`#${id} svg`);
  }
  assert.ok((await page.$$("#deciles tbody tr")).length >= 5, "lift by decile");
  await shot(page, "model-quality");
  await page.goto(`${BASE}/kpis`);
  await page.waitForSelector("#kpi-overall tbody tr");
  assert.ok((await page.$$("#kpi-branches tbody tr")).length > 1, "KPIs by branch");
  await shot(page, "kpis");
  await page.context().close();
});

test("management reads the dashboard: retention by month, churn trend, uplift, funnel", async () => {
  const page = await signIn("executive");
  assert.equal(new URL(page.url()).pathname, "/dashboard");
  for (const id of ["chart-retention-branches", "chart-retention-tiers", "chart-churn", "chart-funnel"]) {
    await page.waitForSelector(`#${id} svg`);
  }
  assert.match(await page.textContent("main h1"), /管理驾驶舱/);
  await shot(page, "dashboard");
  await page.context().close();
});

test("an administrator runs the daily batch from the console and watches its progress", async () => {
  const page = await signIn("admin");
  await Promise.all([page.waitForURL(/\/jobs$/), page.click("#start-daily_batch")]);
  const job = page.locator("#jobs .job").first();
  await job.waitFor();
  // The block polls itself until the batch ends; every stage then shows how it ended.
  await page.waitForSelector("#jobs .job[data-state=finished]", { timeout: SLOW });
  const stages = await job.locator("tr[data-stage]").evaluateAll((rows) => rows.map((r) => [r.dataset.stage, r.dataset.status]));
  assert.deepEqual(stages.map(([stage]) => stage), ["customer_360", "churn_scores", "tags", "segments", "alerts"]);
  assert.ok(stages.every(([, status]) => status === "done" || status === "skipped"), JSON.stringify(stages));
  assert.equal(await job.locator("progress").getAttribute("value"), "100");
  await shot(page, "operations");
  // A second start while none runs is accepted; an unknown operation is not.
  const refused = await page.request.post(`${BASE}/jobs/start/reboot`, { form: {} });
  assert.equal(refused.status(), 404);
  await page.context().close();
});
