import { expect, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";

let counter = 0;
/** A unique identity per test run so tests never collide on emails or room names. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

/** Page object for one signed-in person in their own browser context. */
export class ChatApp {
  constructor(
    readonly page: Page,
    readonly name: string,
  ) {}

  static async signUp(browser: Browser, name: string): Promise<ChatApp> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const app = new ChatApp(page, name);
    await page.goto("/sign-up");
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Email").fill(`${name.toLowerCase()}@example.test`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/chat/);
    await app.expectConnected();
    return app;
  }

  /** Signs in an existing account (e.g. one seeded in bulk by `npm run bench:users`). */
  static async signIn(browser: Browser, account: { name: string; email: string; password: string }): Promise<ChatApp> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const app = new ChatApp(page, account.name);
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/chat/);
    await app.expectConnected();
    return app;
  }

  async expectConnected(): Promise<void> {
    await expect(this.page.getByTestId("connection-status")).toHaveAttribute("data-state", "connected");
  }

  async createRoom(roomName: string): Promise<void> {
    const from = this.page.url();
    await this.page.getByRole("button", { name: "New room" }).click();
    await this.page.getByLabel("Room name").fill(roomName);
    await this.page.getByRole("button", { name: "Create", exact: true }).click();
    await this.waitForRoomUrl(from);
  }

  async openRoom(roomName: string): Promise<void> {
    const from = this.page.url();
    const item = this.page.getByTestId("room-item").filter({ hasText: roomName }).first();
    const already = (await item.getAttribute("aria-current")) === "page";
    await item.click();
    if (!already) await this.waitForRoomUrl(from);
  }

  /** A room's page other than `from` (a bare /chat\/.+/ wait would be met at once when a room is already shown). */
  private async waitForRoomUrl(from: string): Promise<void> {
    await this.page.waitForURL((url) => /\/chat\/.+/.test(url.pathname) && url.href !== from);
  }

  async send(body: string): Promise<void> {
    const composer = this.page.getByLabel("Message", { exact: true });
    await composer.fill(body);
    await composer.press("Enter");
  }

  messages() {
    return this.page.getByTestId("message-list").getByTestId("message");
  }

  /** Bodies of the visible messages, in display order. */
  async bodies(): Promise<string[]> {
    return this.messages().evaluateAll((nodes) =>
      nodes.map((n) => n.querySelector("[data-testid=message-body]")?.textContent?.trim() ?? ""),
    );
  }

  async expectBodies(expected: string[]): Promise<void> {
    await expect.poll(() => this.bodies(), { timeout: 15_000 }).toEqual(expected);
  }

  /** The message rows with exactly this body. */
  messagesWithBody(body: string): Locator {
    return this.messages().filter({ has: this.page.getByTestId("message-body").getByText(body, { exact: true }) });
  }

  get context(): BrowserContext {
    return this.page.context();
  }

  /** Cuts (or restores) this person's network, as a lost connection would. */
  async setOffline(offline: boolean): Promise<void> {
    await this.context.setOffline(offline);
    if (offline) await expect(this.page.getByTestId("connection-status")).toHaveAttribute("data-state", "offline");
  }

  /** The same person in a new tab of the same browser (same storage), at `path`. */
  async openNewTab(path: string): Promise<ChatApp> {
    const page = await this.context.newPage();
    await page.goto(path);
    const app = new ChatApp(page, this.name);
    await app.expectConnected();
    return app;
  }

  /** Messages waiting in this browser's persisted outbox (all tabs of this person). */
  async persistedOutbox(): Promise<number> {
    return this.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("parley:outbox:")).length);
  }

  // ---------------------------------------------------------------- members, presence, typing

  memberList(): Locator {
    return this.page.getByTestId("member-list");
  }

  /** Opens the member list from the room header (a panel on wide screens, a drawer on phones). */
  async openMembers(): Promise<void> {
    const toggle = this.page.getByTestId("members-toggle");
    if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
    await expect(this.memberList()).toBeVisible();
  }

  member(name: string): Locator {
    return this.memberList().locator(`[data-testid="member"][data-name="${name}"]`);
  }

  async expectMemberStatus(name: string, status: "online" | "away" | "offline", timeout?: number): Promise<void> {
    await expect(this.member(name)).toHaveAttribute("data-status", status, timeout ? { timeout } : undefined);
  }

  /** Pretends the tab was hidden (another tab in front, the window minimised) or shown again. */
  async setTabHidden(hidden: boolean): Promise<void> {
    await this.page.evaluate((h) => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (h ? "hidden" : "visible") });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => h });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  }

  typingIndicator(): Locator {
    return this.page.getByTestId("typing-indicator");
  }

  composer(): Locator {
    return this.page.getByLabel("Message", { exact: true });
  }

  /** Opens a member's moderation menu and picks an action. */
  async moderate(name: string, action: string): Promise<void> {
    const row = this.member(name);
    await row.hover();
    await row.getByTestId("member-actions").click();
    await this.page.getByRole("menuitem", { name: action }).click();
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
