import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { MEMBERS_SCROLL_PAGE } from "../lib/contract/limits";
import { ChatApp } from "./support/chat-app";

// A room of 300 seeded by scripts/e2e-server.mjs, which lowers
// PRESENCE_ROOM_WIDE_MAX_MEMBERS to 250: too big for room-wide presence, so a
// tab hears the presence of the members whose rows it shows (presence:watch),
// and learns the others' when it scrolls to them; and its member list comes
// in pages by name (MEMBERS_SCROLL_PAGE), more as it scrolls.
const PORT = Number(process.env.E2E_PORT ?? 3100);
const seeded = () =>
  readFileSync(`.tmp/e2e-data-${PORT}-big-room.jsonl`, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { name: string; email: string });
const account = (user: { name: string; email: string }) => ({ ...user, password: "bench password" });

test("in a room of 300, the member list loads in pages, shows live presence for the rows on screen, catches up on scroll and is searched", async ({ browser }) => {
  const users = seeded();
  expect(users).toHaveLength(300);
  // Names sort as load0, load1, load10, ..., load99: load1 is near the top, load99 last.
  const byName = (name: string) => users.find((u) => u.name === name)!;
  const alice = await ChatApp.signIn(browser, account(byName("load0")));
  await alice.openRoom("load-");
  await alice.openMembers();
  await expect(alice.page.getByTestId("members-toggle")).toContainText("300 members");
  await alice.expectMemberStatus("load1", "offline");
  // The first page only; the online count is the server's (room:online), shown as approximate: Alice alone.
  const rows = alice.memberList().getByTestId("member");
  await expect(rows).toHaveCount(MEMBERS_SCROLL_PAGE);
  await expect(alice.page.getByTestId("online-count")).toHaveAttribute("data-count", "1");
  await expect(alice.page.getByTestId("online-count")).toContainText("~1");

  // On screen: watched, so live.
  const bob = await ChatApp.signIn(browser, account(byName("load1")));
  await alice.expectMemberStatus("load1", "online");

  // Far below the fold, on a page not loaded yet: not watched, so not told...
  const zed = await ChatApp.signIn(browser, account(byName("load99")));
  await bob.setTabHidden(true); // sent after Zed's arrival: once Alice sees it, she would have seen Zed's too
  await alice.expectMemberStatus("load1", "away");
  await expect(alice.member("load99")).toHaveCount(0);

  // ...until the list is scrolled to its end, a page at a time (the last row of
  // 300 by name), and the row is on screen: its page and the watch carry the status now.
  const more = alice.memberList().getByTestId("more-members");
  for (let loaded = MEMBERS_SCROLL_PAGE; loaded < users.length; loaded += MEMBERS_SCROLL_PAGE) {
    await expect(alice.member("load99")).toHaveCount(0);
    await more.scrollIntoViewIfNeeded();
    await expect(rows).toHaveCount(Math.min(users.length, loaded + MEMBERS_SCROLL_PAGE));
  }
  await expect(more).toHaveCount(0); // every member is loaded
  await alice.member("load99").scrollIntoViewIfNeeded();
  await alice.expectMemberStatus("load99", "online");
  // And it is live from then on.
  await zed.setTabHidden(true);
  await alice.expectMemberStatus("load99", "away");

  // A big room's list is searched on the server: part of a name, any case.
  const search = alice.page.getByTestId("member-search");
  await search.fill("LOAD29");
  await expect(rows).toHaveCount(11); // load29, load290 ... load299
  await expect(alice.member("load29")).toBeVisible();
  await search.fill("nobody");
  await expect(alice.page.getByTestId("no-member-match")).toBeVisible();
  await expect(rows).toHaveCount(0);
  await search.fill("");
  await expect(rows).toHaveCount(MEMBERS_SCROLL_PAGE); // everyone again, from the first page

  await Promise.all([alice.close(), bob.close(), zed.close()]);
});
