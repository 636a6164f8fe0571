"use client";

import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { createPortal } from "react-dom";
import { IconButton } from "./button";

export interface MenuItem {
  label: string;
  icon?: ReactNode;
  danger?: boolean;
  /** Draw a divider above this item. */
  separatorBefore?: boolean;
  onSelect: () => void;
}

const GAP = 4;
const MARGIN = 8;

/**
 * An icon button that opens a small list of actions. The list is positioned
 * against the viewport (in a portal), so scrolling panels never clip it, and
 * opens upwards when there is no room below. Closes on Escape, Tab, outside
 * clicks, scrolling and resizing; arrow keys move between items.
 */
export function Menu({
  label,
  icon,
  items,
  align = "right",
  triggerClassName = "",
  testId,
}: {
  label: string;
  icon: ReactNode;
  items: MenuItem[];
  align?: "left" | "right";
  triggerClassName?: string;
  testId?: string;
}) {
  const [open, setOpen] = useState(false);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const popupRef = useRef<HTMLDivElement>(null);
  const id = useId();

  const close = useCallback((focusTrigger: boolean) => {
    setOpen(false);
    if (focusTrigger) triggerRef.current?.focus();
  }, []);

  // Before the first paint: place the list under the button (or above it when it
  // would not fit), inside the viewport, then focus its first item.
  useLayoutEffect(() => {
    if (!open) return;
    const trigger = triggerRef.current;
    const popup = popupRef.current;
    if (!trigger || !popup) return;
    const rect = trigger.getBoundingClientRect();
    const height = popup.offsetHeight;
    const width = popup.offsetWidth;
    const below = rect.bottom + GAP + height + MARGIN <= window.innerHeight || rect.top - GAP - height < MARGIN;
    const top = below ? rect.bottom + GAP : rect.top - GAP - height;
    const left = align === "right" ? rect.right - width : rect.left;
    popup.style.top = `${Math.max(MARGIN, top)}px`;
    popup.style.left = `${Math.max(MARGIN, Math.min(left, window.innerWidth - width - MARGIN))}px`;
    popup.querySelector<HTMLElement>("[role=menuitem]")?.focus();
  }, [open, align]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      const target = e.target;
      if (!(target instanceof Node)) return;
      if (popupRef.current?.contains(target) || triggerRef.current?.contains(target)) return;
      setOpen(false);
    };
    const onScroll = (e: Event) => {
      if (e.target instanceof Node && popupRef.current?.contains(e.target)) return;
      setOpen(false);
    };
    const onResize = () => setOpen(false);
    // Escape with the focus elsewhere (inside the list, the list's own handler answers first).
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("scroll", onScroll, true);
    document.addEventListener("keydown", onKey);
    window.addEventListener("resize", onResize);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("scroll", onScroll, true);
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("resize", onResize);
    };
  }, [open]);

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const list = [...(popupRef.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
    const index = list.indexOf(document.activeElement as HTMLElement);
    let next: HTMLElement | undefined;
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
      return;
    }
    if (e.key === "Tab") {
      close(false);
      return;
    }
    if (e.key === "ArrowDown") next = list[(index + 1) % list.length];
    else if (e.key === "ArrowUp") next = list[(index - 1 + list.length) % list.length];
    else if (e.key === "Home") next = list[0];
    else if (e.key === "End") next = list.at(-1);
    if (next) {
      e.preventDefault();
      next.focus();
    }
  }

  return (
    <>
      <IconButton
        ref={triggerRef}
        label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        data-testid={testId}
        className={triggerClassName}
        onClick={() => setOpen((v) => !v)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && !open) {
            e.preventDefault();
            setOpen(true);
          } else if (e.key === "Escape" && open) {
            // Only the menu closes, not a drawer around it.
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
          }
        }}
      >
        {icon}
      </IconButton>
      {open
        ? createPortal(
            <div
              ref={popupRef}
              id={id}
              role="menu"
              aria-label={label}
              style={{ position: "fixed", top: 0, left: 0 }}
              onKeyDown={onKeyDown}
              className="animate-in z-50 min-w-44 rounded-xl border border-line bg-elevated p-1 shadow-pop"
            >
              {items.map((item) => (
                <div key={item.label}>
                  {item.separatorBefore ? <div role="separator" className="mx-1.5 my-1 h-px bg-line" /> : null}
                  <button
                    type="button"
                    role="menuitem"
                    tabIndex={-1}
                    onClick={() => {
                      close(true);
                      item.onSelect();
                    }}
                    className={`flex h-8 w-full items-center gap-2 whitespace-nowrap rounded-md px-2.5 text-left text-sm outline-none transition-colors hover:bg-surface-hover focus-visible:bg-surface-hover ${
                      item.danger ? "text-danger" : "text-ink"
                    }`}
                  >
                    {item.icon}
                    {item.label}
                  </button>
                </div>
              ))}
            </div>,
            document.body,
          )
        : null}
    </>
  );
}
