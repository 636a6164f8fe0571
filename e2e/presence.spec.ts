import { expect, test } from "@playwright/test";
import { ChatApp, uniqueName } from "./support/chat-app";

test("room-mates see each other online, see typing come and go, and see a closed tab go offline", async ({ browser }) => {
  const alice = await ChatApp.signUp(browser, uniqueName("Alice"));
  const bob = await ChatApp.signUp(browser, uniqueName("Bob"));
  const room = uniqueName("presence-");
  await alice.createRoom(room);
  await expect(bob.page.getByTestId("room-item").filter({ hasText: room })).toBeVisible();
  await bob.openRoom(room);

  await alice.openMembers();
  await bob.openMembers();
  await alice.expectMemberStatus(bob.name, "online");
  await alice.expectMemberStatus(alice.name, "online");
  await bob.expectMemberStatus(alice.name, "online");
  await expect(alice.page.getByTestId("online-count")).toHaveAttribute("data-count", "2");
  await expect(alice.page.getByTestId("members-toggle")).toContainText("2 online");
  await expect(alice.page.getByTestId("members-toggle")).toContainText("2 members");

  // The list can be searched by part of a name, any case (here in the browser: the whole list is loaded).
  const search = alice.page.getByTestId("member-search");
  const rows = alice.memberList().getByTestId("member");
  await search.fill(bob.name.toUpperCase());
  await expect(rows).toHaveCount(1);
  await expect(alice.member(bob.name)).toBeVisible();
  await search.fill("nobody-here");
  await expect(alice.page.getByTestId("no-member-match")).toBeVisible();
  await expect(rows).toHaveCount(0);
  await search.fill("");
  await expect(rows).toHaveCount(2);

  // A hidden tab is away (amber) for the others, and online again when it is shown.
  await bob.setTabHidden(true);
  await alice.expectMemberStatus(bob.name, "away");
  await expect(alice.member(bob.name)).toContainText("Away");
  await bob.setTabHidden(false);
  await alice.expectMemberStatus(bob.name, "online");

  // Typing shows for the others (never for the typist), and clears when the text is cleared...
  await expect(alice.typingIndicator()).toHaveAttribute("data-typing", "false");
  await bob.composer().fill("Hello Al");
  await expect(alice.typingIndicator()).toHaveText(`${bob.name} is typing…`);
  await expect(bob.typingIndicator()).toHaveAttribute("data-typing", "false");
  await bob.composer().fill("");
  await expect(alice.typingIndicator()).toHaveAttribute("data-typing", "false");
  await expect(alice.typingIndicator()).toHaveText("");

  // ...and when the message is sent.
  await bob.composer().fill("Hello Alice");
  await expect(alice.typingIndicator()).toHaveText(`${bob.name} is typing…`);
  await bob.composer().press("Enter");
  await alice.expectBodies(["Hello Alice"]);
  await expect(alice.typingIndicator()).toHaveAttribute("data-typing", "false");

  // The typing line keeps its height whether or not someone types (no layout jump).
  const height = await alice.typingIndicator().evaluate((el) => el.getBoundingClientRect().height);
  expect(height).toBeGreaterThan(10);

  // Bob closes his only tab: offline for Alice after the server's grace period, with "last seen".
  await bob.close();
  await alice.expectMemberStatus(bob.name, "offline", 10_000);
  await expect(alice.member(bob.name)).toContainText("Last seen");
  await expect(alice.page.getByTestId("online-count")).toHaveAttribute("data-count", "1");

  await alice.close();
});

test("a room owner mutes and removes a member from the member list", async ({ browser }) => {
  const owner = await ChatApp.signUp(browser, uniqueName("Olga"));
  const member = await ChatApp.signUp(browser, uniqueName("Max"));
  const room = uniqueName("moderated-");
  await owner.createRoom(room);
  await expect(member.page.getByTestId("room-item").filter({ hasText: room })).toBeVisible();
  await member.openRoom(room);

  await owner.openMembers();
  await owner.expectMemberStatus(member.name, "online");
  // Nobody moderates themselves; members get no moderation menu.
  await expect(owner.member(owner.name).getByTestId("member-actions")).toHaveCount(0);
  await member.openMembers();
  await expect(member.member(owner.name).getByTestId("member-actions")).toHaveCount(0);

  await owner.moderate(member.name, "Mute for 10 minutes");
  await expect(owner.member(member.name).getByTestId("muted-badge")).toBeVisible();
  await expect(member.page.getByText("You are muted in this room until")).toBeVisible();
  await expect(member.composer()).toBeDisabled();

  await owner.moderate(member.name, "Unmute");
  await expect(owner.member(member.name).getByTestId("muted-badge")).toHaveCount(0);
  await expect(member.composer()).toBeEnabled();

  await owner.moderate(member.name, "Remove from room");
  await owner.page.getByRole("button", { name: "Remove", exact: true }).click();
  await expect(owner.member(member.name)).toHaveCount(0);
  await expect(member.page.getByText(`You were removed from ${room}`)).toBeVisible();

  await owner.close();
  await member.close();
});

test("after a reconnect a tab reloads the member list on screen, and the others when they are shown again", async ({ browser }) => {
  const alice = await ChatApp.signUp(browser, uniqueName("Alice"));
  const roomIdShown = () => new URL(alice.page.url()).pathname.split("/").pop()!;
  const firstName = uniqueName("first-");
  await alice.createRoom(firstName);
  const firstRoomId = roomIdShown();
  await alice.openMembers();
  await alice.expectMemberStatus(alice.name, "online");
  await alice.createRoom(uniqueName("second-"));
  const secondRoomId = roomIdShown();
  await alice.openMembers();
  await alice.expectMemberStatus(alice.name, "online");

  // The member lists the tab asks for from now on (the reconnect opens a new WebSocket).
  const asked: string[] = [];
  alice.page.on("websocket", (ws) =>
    ws.on("framesent", ({ payload }) => {
      const match = typeof payload === "string" ? /"room:members",\{"roomId":"([^"]+)"/.exec(payload) : null;
      if (match) asked.push(match[1]!);
    }),
  );
  await alice.setOffline(true);
  await alice.setOffline(false);
  await alice.expectConnected();
  await expect.poll(() => asked).toEqual([secondRoomId]);
  await alice.page.waitForTimeout(1_000);
  expect(asked).toEqual([secondRoomId]); // not the first room's, which is not on screen

  // Shown again, the first room's list loads again.
  await alice.openRoom(firstName);
  await alice.openMembers();
  await alice.expectMemberStatus(alice.name, "online");
  await expect.poll(() => asked).toEqual([secondRoomId, firstRoomId]);
  await alice.close();
});
