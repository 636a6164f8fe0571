import { expect, test } from "@playwright/test";
import { ChatApp, uniqueName } from "./support/chat-app";

test("two people sign up, chat both ways in one room, and still see the history after a reload", async ({ browser }) => {
  const alice = await ChatApp.signUp(browser, uniqueName("Alice"));
  const bob = await ChatApp.signUp(browser, uniqueName("Bob"));
  const room = uniqueName("team-");

  await alice.createRoom(room);
  // Bob sees the new public room appear in his sidebar and joins it by opening it.
  await expect(bob.page.getByTestId("room-item").filter({ hasText: room })).toBeVisible();
  await bob.openRoom(room);

  await alice.send("Hi Bob, welcome to the room!");
  await bob.expectBodies(["Hi Bob, welcome to the room!"]);
  await bob.send("Thanks Alice 👋");
  await alice.expectBodies(["Hi Bob, welcome to the room!", "Thanks Alice 👋"]);
  await alice.send("Line one\nLine two");

  const expected = ["Hi Bob, welcome to the room!", "Thanks Alice 👋", "Line one\nLine two"];
  await bob.expectBodies(expected);
  await expect(bob.messages().last()).toHaveAttribute("data-status", "sent");

  // History comes back from the database, in order, after a reload.
  await bob.page.reload();
  await bob.expectConnected();
  await bob.expectBodies(expected);
  await alice.page.reload();
  await alice.expectBodies(expected);
  const seqs = await alice.messages().evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute("data-seq"))));
  expect(seqs).toEqual([1, 2, 3]);

  await alice.close();
  await bob.close();
});

test("a wrong password is refused with a readable message", async ({ browser }) => {
  const carol = await ChatApp.signUp(browser, uniqueName("Carol"));
  await carol.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(`${carol.name.toLowerCase()}@example.test`);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Wrong email or password")).toBeVisible();
  await context.close();
});

test("signing up with a taken email explains why", async ({ browser }) => {
  const dana = await ChatApp.signUp(browser, uniqueName("Dana"));
  await dana.close();
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Another Dana");
  await page.getByLabel("Email").fill(`${dana.name.toLowerCase()}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("An account with this email already exists")).toBeVisible();
  await context.close();
});
