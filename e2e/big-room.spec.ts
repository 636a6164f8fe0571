import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { ChatApp } from "./support/chat-app";

// A room of 300 seeded by scripts/e2e-server.mjs, which lowers
// PRESENCE_ROOM_WIDE_MAX_MEMBERS to 250: too big for room-wide presence, so a
// tab hears the presence of the members whose rows it shows (presence:watch),
// and learns the others' when it scrolls to them.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const seeded = () =>
  readFileSync(`.tmp/e2e-data-${PORT}-big-room.jsonl`, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { name: string; email: string });
const account = (user: { name: string; email: string }) => ({ ...user, password: "bench password" });

test("in a room of 300, the member list shows live presence for the rows on screen and catches up on scroll", async ({ browser }) => {
  const users = seeded();
  expect(users).toHaveLength(300);
  // Names sort as load0, load1, load10, ..., load99: load1 is near the top, load99 last.
  const byName = (name: string) => users.find((u) => u.name === name)!;
  const alice = await ChatApp.signIn(browser, account(byName("load0")));
  await alice.openRoom("load-");
  await alice.openMembers();
  await expect(alice.page.getByTestId("members-toggle")).toContainText("300 members");
  await alice.expectMemberStatus("load1", "offline");

  // On screen: watched, so live.
  const bob = await ChatApp.signIn(browser, account(byName("load1")));
  await alice.expectMemberStatus("load1", "online");

  // Far below the fold: not watched, so not told...
  const zed = await ChatApp.signIn(browser, account(byName("load99")));
  await bob.setTabHidden(true); // sent after Zed's arrival: once Alice sees it, she would have seen Zed's too
  await alice.expectMemberStatus("load1", "away");
  await expect(alice.member("load99")).toHaveAttribute("data-status", "offline");

  // ...until the row is scrolled into view: the watch answer carries the status now.
  await alice.member("load99").scrollIntoViewIfNeeded();
  await alice.expectMemberStatus("load99", "online");
  // And it is live from then on.
  await zed.setTabHidden(true);
  await alice.expectMemberStatus("load99", "away");

  await Promise.all([alice.close(), bob.close(), zed.close()]);
});
