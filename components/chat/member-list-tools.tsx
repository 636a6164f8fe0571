"use client";

// The search box and the end of a member list (components/chat/member-list.tsx):
// a whole list is filtered in the browser, a big room's paged list is searched
// and paged on the server (ChatClient.searchMembers, loadMoreMembers).
import { useEffect, useRef, useState, type RefObject } from "react";
import { Button } from "@/components/ui/button";
import { RetryIcon, SearchIcon } from "@/components/ui/icons";
import { MEMBER_SEARCH_MAX_LENGTH } from "@/lib/contract";
import type { RoomMembersState } from "@/lib/client/chat-client";

/** Said in place of the rows when a search matches nobody. */
export function NoMatch({ search }: { search: string }) {
  return (
    <p data-testid="no-member-match" className="px-2 py-3 text-[12.5px] text-ink-faint">
      No member&apos;s name has “{search}”.
    </p>
  );
}

/** How long typing pauses before a search is sent: one request per word, not per key. */
const SEARCH_DEBOUNCE_MS = 250;

/** The search box of a member list (a paged list is searched on the server, see ChatClient.searchMembers). */
export function MemberSearch({ roomName, initial, onSearch }: { roomName: string; initial: string; onSearch: (text: string) => void }) {
  const [text, setText] = useState(initial);
  const latestOnSearch = useRef(onSearch);
  latestOnSearch.current = onSearch;
  useEffect(() => {
    const timer = setTimeout(() => latestOnSearch.current(text), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <div className="relative mx-3 mt-3 shrink-0">
      <SearchIcon size={14} className="pointer-events-none absolute left-2.5 top-1/2 -translate-y-1/2 text-ink-faint" />
      <input
        type="search"
        data-testid="member-search"
        aria-label={`Find a member of ${roomName}`}
        placeholder="Find a member"
        value={text}
        maxLength={MEMBER_SEARCH_MAX_LENGTH}
        autoComplete="off"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          // Escape clears the search first; the drawer closes on the next one.
          if (e.key === "Escape" && text) {
            e.stopPropagation();
            setText("");
          }
        }}
        className="h-8 w-full rounded-md border border-line-strong bg-elevated pl-8 pr-2 text-[13px] text-ink outline-none transition-[border-color,box-shadow] placeholder:text-ink-faint focus:border-accent focus:ring-[3px] focus:ring-ring"
      />
    </div>
  );
}

/**
 * The end of a big room's loaded list: loads the next page when it comes
 * within a screenful of view (and on click, for keyboards), or says why a page
 * could not load and offers to try again.
 */
export function MoreMembers({ state, root, onMore }: { state: RoomMembersState; root: RefObject<HTMLElement | null>; onMore: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const latestOnMore = useRef(onMore);
  latestOnMore.current = onMore;
  const failed = state.status === "error";
  useEffect(() => {
    const target = ref.current;
    if (!target || failed) return;
    // A new observer reports at once whether the end is near: after each page,
    // if it still is (a tall screen), the next page loads too.
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) latestOnMore.current();
    }, { root: root.current, rootMargin: "100% 0px" });
    observer.observe(target);
    return () => observer.disconnect();
  }, [root, failed, state.list]);
  return (
    <div ref={ref} data-testid="more-members" className="flex flex-col items-start gap-2 px-2 py-3 text-[12.5px] text-ink-muted">
      {failed ? <p role="alert">Couldn&apos;t load the members{state.error ? `: ${state.error.message}` : ""}.</p> : null}
      <Button variant="secondary" size="sm" disabled={state.status === "loading"} onClick={onMore}>
        {failed ? <RetryIcon size={13} /> : null}
        {state.status === "loading" ? "Loading more members…" : failed ? "Try again" : "Show more members"}
      </Button>
    </div>
  );
}
