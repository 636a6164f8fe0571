import { expect, test } from "@playwright/test";
import { ChatApp, uniqueName } from "./support/chat-app";

test("messages sent offline are delivered once and in order, also from the outbox of a closed tab", async ({ browser }) => {
  const alice = await ChatApp.signUp(browser, uniqueName("Alice"));
  const bob = await ChatApp.signUp(browser, uniqueName("Bob"));
  const room = uniqueName("delivery-");
  await alice.createRoom(room);
  await expect(bob.page.getByTestId("room-item").filter({ hasText: room })).toBeVisible();
  await bob.openRoom(room);
  await alice.send("Anyone here?");
  await bob.expectBodies(["Anyone here?"]);

  // Offline: each send is kept and shown as pending.
  await bob.setOffline(true);
  const offline = ["first while offline", "second while offline", "third while offline"];
  for (const body of offline) {
    await bob.send(body);
    await expect(bob.messagesWithBody(body)).toHaveAttribute("data-status", "pending");
  }
  expect(await bob.persistedOutbox()).toBe(3);
  await alice.page.waitForTimeout(500);
  await alice.expectBodies(["Anyone here?"]);

  // Back online: delivered once each, in order; Bob's become sent.
  await bob.setOffline(false);
  await alice.expectBodies(["Anyone here?", ...offline]);
  for (const body of offline) await expect(bob.messagesWithBody(body)).toHaveAttribute("data-status", "sent");
  await bob.expectBodies(["Anyone here?", ...offline]);
  await expect.poll(() => bob.persistedOutbox()).toBe(0);

  // Offline again, send, and close the tab before it could go out.
  await bob.setOffline(true);
  const orphan = "sent from a tab that was closed";
  await bob.send(orphan);
  await expect(bob.messagesWithBody(orphan)).toHaveAttribute("data-status", "pending");
  const roomPath = new URL(bob.page.url()).pathname;
  await bob.page.close();
  await bob.context.setOffline(false);

  // A new tab of the same browser finds it in the persisted outbox and sends it.
  const bobAgain = await bob.openNewTab(roomPath);
  const all = ["Anyone here?", ...offline, orphan];
  await alice.expectBodies(all);
  await bobAgain.expectBodies(all);
  await expect(bobAgain.messagesWithBody(orphan)).toHaveAttribute("data-status", "sent");
  await expect.poll(() => bobAgain.persistedOutbox()).toBe(0);

  // Exactly once, also after everything settled and after a reload from the database.
  await alice.page.waitForTimeout(1_500);
  await expect(alice.messagesWithBody(orphan)).toHaveCount(1);
  await alice.page.reload();
  await alice.expectBodies(all);
  await expect(alice.messagesWithBody(orphan)).toHaveCount(1);

  await alice.close();
  await bobAgain.close();
});

test("a send refused for good shows as failed with the reason, survives a reload, and can be retried or discarded", async ({ browser }) => {
  const owner = await ChatApp.signUp(browser, uniqueName("Olga"));
  const member = await ChatApp.signUp(browser, uniqueName("Max"));
  const room = uniqueName("refused-");
  await owner.createRoom(room);
  await expect(member.page.getByTestId("room-item").filter({ hasText: room })).toBeVisible();
  await member.openRoom(room);
  await owner.openMembers();
  await owner.expectMemberStatus(member.name, "online");

  // Written offline; meanwhile the member is muted (they miss the announcement).
  await member.setOffline(true);
  await member.send("kept for later");
  await member.send("thought better of it");
  await owner.moderate(member.name, "Mute for 10 minutes");
  await expect(owner.member(member.name).getByTestId("muted-badge")).toBeVisible();

  // Back online: the server refuses both for good; they show as failed, with the reason.
  await member.setOffline(false);
  for (const body of ["kept for later", "thought better of it"]) {
    await expect(member.messagesWithBody(body)).toHaveAttribute("data-status", "failed");
    await expect(member.messagesWithBody(body)).toContainText("You are muted");
  }

  // A reload keeps them, still failed (never resent by themselves).
  await member.page.reload();
  await member.expectConnected();
  await expect(member.messagesWithBody("kept for later")).toHaveAttribute("data-status", "failed");
  await expect(member.messagesWithBody("thought better of it")).toHaveAttribute("data-status", "failed");
  expect(await member.persistedOutbox()).toBe(2);

  // Unmuted: one is retried and delivered once, the other discarded.
  await owner.moderate(member.name, "Unmute");
  await expect(owner.member(member.name).getByTestId("muted-badge")).toHaveCount(0);
  await member.messagesWithBody("kept for later").getByRole("button", { name: "Retry" }).click();
  await expect(member.messagesWithBody("kept for later")).toHaveAttribute("data-status", "sent");
  await member.messagesWithBody("thought better of it").getByRole("button", { name: "Discard" }).click();
  await expect(member.messagesWithBody("thought better of it")).toHaveCount(0);
  await expect.poll(() => member.persistedOutbox()).toBe(0);
  await owner.expectBodies(["kept for later"]);

  await member.page.reload();
  await member.expectBodies(["kept for later"]);
  await owner.close();
  await member.close();
});
