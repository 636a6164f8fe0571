import { expect, type Browser, type Page } from "@playwright/test";

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

  async expectConnected(): Promise<void> {
    await expect(this.page.getByTestId("connection-status")).toHaveAttribute("data-state", "connected");
  }

  async createRoom(roomName: string): Promise<void> {
    await this.page.getByRole("button", { name: "New room" }).click();
    await this.page.getByLabel("Room name").fill(roomName);
    await this.page.getByRole("button", { name: "Create", exact: true }).click();
    await this.page.waitForURL(/\/chat\/.+/);
  }

  async openRoom(roomName: string): Promise<void> {
    await this.page.getByTestId("room-item").filter({ hasText: roomName }).first().click();
    await this.page.waitForURL(/\/chat\/.+/);
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

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
